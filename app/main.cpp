// Entry point: the command line when argv[1] names a command, else the GUI.
#include "CommandLine.h"
#include "MainWindow.h"

#include <QApplication>
#include <csignal>

int main(int argc, char** argv) {
    // A file-size limit (ulimit -f) must fail a save with an error, not kill the app.
    std::signal(SIGXFSZ, SIG_IGN);
    if (ws::isCommandLineInvocation(argc, argv)) return ws::runCommandLine(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("WeightScope"));
    QApplication::setOrganizationName(QStringLiteral("WeightScope"));
    ws::MainWindow window;
    window.show();
    const QStringList args = QApplication::arguments();
    if (args.size() > 1) window.openFile(args.at(1));
    return app.exec();
}
