// The main window with a file opened by URL (nginx on the loopback): the tensors
// listed and shown, the title saying where it came from and that it is read-only,
// the transfer label counting the bytes fetched, and the URL kept in Open Recent.
#include "HttpTestServer.h"
#include "MainWindow.h"
#include "RemoteFixtures.h"

#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace ws;
using namespace wstest;

class TestRemoteWindow : public QObject {
    Q_OBJECT
    QTemporaryDir m_root, m_cache;
    std::unique_ptr<HttpTestServer> m_server;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("WS_HTTP_CACHE_DIR", m_cache.path().toUtf8());
        QVERIFY(writeSafetensors(m_root.filePath("model.safetensors"),
                                 {{"embed", {300, 200}}, {"head", {200, 10}}}));
        m_server = std::make_unique<HttpTestServer>(m_root.path());
        QVERIFY2(m_server->ok(), qPrintable(m_server->error()));
    }

    void opensAndShowsARemoteModel() {
        const QString url = m_server->url("files", "model.safetensors");
        MainWindow w;
        w.show();
        QSignalSpy loaded(&w, &MainWindow::fileLoaded);
        QSignalSpy failed(&w, &MainWindow::loadFailed);
        QSignalSpy shown(&w, &MainWindow::tensorShown);
        QVERIFY(w.openFile(url));
        QVERIFY(loaded.wait(10000));
        QCOMPARE(failed.count(), 0);
        QCOMPARE(w.windowTitle(),
                 QStringLiteral("WeightScope — %1 (remote, read-only)[*]").arg(url));
        QCOMPARE(w.weightFile()->tensors.size(), size_t(2));
        QCOMPARE(w.weightFile()->path, url);
        QTRY_COMPARE(shown.count(), 1); // the first tensor, painted from fetched bytes
        QTRY_VERIFY(w.transferText().startsWith(QStringLiteral("Fetched ")));
        QCOMPARE(MainWindow::recentFiles().value(0), url);
    }
};

QTEST_MAIN(TestRemoteWindow)
#include "tst_remotewindow.moc"
