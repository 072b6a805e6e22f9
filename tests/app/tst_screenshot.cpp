// `weightscope FILE --screenshot OUT.png --tensor NAME`: the app pictures its own
// window headless (how the README's screenshots are made).
#include "TestUtil.h"

#include <QImage>
#include <QTemporaryDir>

class TestScreenshot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void picturesTheWindow();
    void unknownTensorFails();
};

namespace {

int runApp(const QStringList& args, QString* err) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM")); // the app must pick offscreen itself
    QTemporaryDir config;
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
    p.setProcessEnvironment(env);
    p.start(wstest::env("WS_BINARY"), args);
    if (!p.waitForFinished(60000)) {
        p.kill();
        return -1;
    }
    *err = QString::fromUtf8(p.readAllStandardError());
    return p.exitCode();
}

} // namespace

void TestScreenshot::picturesTheWindow() {
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("shot.png"));
    QString err;
    QCOMPARE(runApp({wstest::fixture("pytorch/mlp_state_dict.pt"), "--screenshot", out, "--tensor",
                     "2.weight", "--size", "1200x800"},
                    &err),
             0);
    QImage image(out);
    QVERIFY2(!image.isNull(), qPrintable(err));
    QVERIFY(image.width() >= 1200);
    QVERIFY(image.height() >= 800);
    // not a blank picture: many distinct colours (heatmap, text, docks)
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            colours.insert(image.pixel(x, y));
    QVERIFY(colours.size() > 50);
}

void TestScreenshot::unknownTensorFails() {
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("shot.png"));
    QString err;
    QCOMPARE(runApp({wstest::fixture("pytorch/mlp_state_dict.pt"), "--screenshot", out, "--tensor",
                     "nope"},
                    &err),
             2);
    QVERIFY(err.contains(QStringLiteral("nope")));
    QVERIFY(!QFile::exists(out));
}

QTEST_GUILESS_MAIN(TestScreenshot)
#include "tst_screenshot.moc"
