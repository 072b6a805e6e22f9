// Entry point: the command line when argv[1] names a command, else the GUI.
// `weightscope FILE --screenshot OUT.png [--tensor NAME] [--size WxH]` opens the
// GUI (offscreen when there is no display), shows NAME, saves a picture of the
// whole window made by the app itself, and quits: the README's screenshots.
#include "CommandLine.h"
#include "LayerTreeView.h"
#include "MainWindow.h"

#include <QApplication>
#include <QDockWidget>
#include <QTimer>
#include <csignal>
#include <cstdio>

namespace {

struct ScreenshotRequest {
    QString output, tensor;
    QSize size{1400, 900};
};

// Takes --screenshot/--tensor/--size out of argv; false when they are malformed.
bool takeScreenshotOptions(QStringList* args, ScreenshotRequest* req) {
    for (int i = 1; i < args->size();) {
        const QString a = args->at(i);
        if (a == QLatin1String("--screenshot") || a == QLatin1String("--tensor") ||
            a == QLatin1String("--size")) {
            if (i + 1 >= args->size()) return false;
            const QString v = args->at(i + 1);
            if (a == QLatin1String("--screenshot")) req->output = v;
            if (a == QLatin1String("--tensor")) req->tensor = v;
            if (a == QLatin1String("--size")) {
                const QStringList wh = v.split(QLatin1Char('x'));
                if (wh.size() != 2 || wh[0].toInt() < 200 || wh[1].toInt() < 200) return false;
                req->size = QSize(wh[0].toInt(), wh[1].toInt());
            }
            args->remove(i, 2);
        } else {
            ++i;
        }
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    // A file-size limit (ulimit -f) must fail a save with an error, not kill the app.
    std::signal(SIGXFSZ, SIG_IGN);
    if (ws::isCommandLineInvocation(argc, argv)) return ws::runCommandLine(argc, argv);
    bool screenshot = false;
    for (int i = 1; i < argc; ++i)
        screenshot = screenshot || qstrcmp(argv[i], "--screenshot") == 0;
    if (screenshot && qEnvironmentVariableIsEmpty("DISPLAY") &&
        qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("WeightScope"));
    QApplication::setOrganizationName(QStringLiteral("WeightScope"));
    QStringList args = QApplication::arguments();
    ScreenshotRequest req;
    if (!takeScreenshotOptions(&args, &req)) {
        std::fprintf(stderr, "weightscope: usage: weightscope FILE --screenshot OUT.png "
                             "[--tensor NAME] [--size WxH]\n");
        return 1;
    }
    ws::MainWindow window;
    if (!req.output.isEmpty()) {
        window.resize(req.size);
        if (args.size() < 2) {
            std::fprintf(stderr, "weightscope: --screenshot needs a FILE\n");
            return 1;
        }
        QObject::connect(&window, &ws::MainWindow::loadFailed, &app, [](const QString& error) {
            std::fprintf(stderr, "weightscope: %s\n", qPrintable(error));
            QCoreApplication::exit(2);
        });
        auto save = [&window, &req] {
            QTimer::singleShot(500, &window, [&window, &req] {
                const bool ok = window.grab().save(req.output);
                if (ok)
                    std::printf("%s\n", qPrintable(req.output));
                else
                    std::fprintf(stderr, "weightscope: cannot write %s\n", qPrintable(req.output));
                QCoreApplication::exit(ok ? 0 : 2);
            });
        };
        // After loading, the window shows the first tensor; then show the requested one.
        QObject::connect(&window, &ws::MainWindow::fileLoaded, &window, [&window, &req, save] {
            auto* layers = window.findChild<QDockWidget*>(QStringLiteral("layersDock"));
            if (layers) window.resizeDocks({layers}, {window.width() * 40 / 100}, Qt::Horizontal);
            const int index = req.tensor.isEmpty() ? -1 : window.weightFile()->indexOf(req.tensor);
            if (!req.tensor.isEmpty() && index < 0) {
                std::fprintf(stderr, "weightscope: unknown tensor '%s'\n", qPrintable(req.tensor));
                QCoreApplication::exit(2);
                return;
            }
            if (index < 0) {
                save();
                return;
            }
            QObject::connect(&window, &ws::MainWindow::tensorShown, &window,
                             [save, index](int shown) {
                                 if (shown == index) save();
                             });
            QTimer::singleShot(300, &window,
                               [&window, index] { window.layerTree()->selectTensor(index); });
        });
    }
    window.show();
    if (args.size() > 1) window.openFile(args.at(1));
    return app.exec();
}
