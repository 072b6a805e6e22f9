// The main window with a file opened by URL (nginx on the loopback): the tensors
// listed and shown, the title saying where it came from and that it is read-only,
// the transfer label counting the bytes fetched, and the URL kept in Open Recent; the
// Stop button cancelling what runs; Preferences sizing and clearing the disk cache; a
// large remote tensor read whole only when the user asks.
#include "DiskBlockCache.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "HttpTestServer.h"
#include "HttpTransfer.h"
#include "MainWindow.h"
#include "RemoteFixtures.h"
#include "SpectrumWidget.h"
#include "StatsPanel.h"
#include "TensorView.h"

#include <QAbstractButton>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QMenuBar>
#include <QPushButton>
#include <QSpinBox>
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

    // A server sending 2 KB/s: the header's first block would take half a minute. Stop
    // appears while the request runs and ends it: the open fails as cancelled.
    void stopEndsTheTransfersInFlight() {
        const QString url = m_server->url("slow", "model.safetensors");
        MainWindow w;
        w.show();
        QSignalSpy failed(&w, &MainWindow::loadFailed);
        QVERIFY(!w.stopTransfersButton()->isVisible());
        QVERIFY(w.openFile(url));
        QTRY_VERIFY_WITH_TIMEOUT(w.stopTransfersButton()->isVisible(), 10000);
        QCOMPARE(httpTransfersInFlight(), 1);
        w.stopTransfersButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 10000);
        const QString error = failed.at(0).at(0).toString();
        QVERIFY2(error.contains(url) && error.contains("cancelled"), qPrintable(error));
        QCOMPARE(httpTransfersInFlight(), 0);
        QTRY_VERIFY(!w.stopTransfersButton()->isVisible());
        // What runs after Stop runs as usual.
        QSignalSpy loaded(&w, &MainWindow::fileLoaded);
        QVERIFY(w.openFile(m_server->url("files", "model.safetensors")));
        QVERIFY(loaded.wait(10000));
    }

    // A 32 MiB tensor over a limit of 4 MiB: the window shows a preview and the
    // statistics offer to read it; nothing else is fetched until Read All, which then
    // fetches every byte once and shows the exact statistics and colour range.
    void aLargeRemoteTensorIsReadWholeOnlyWhenAsked() {
        HeatmapWidget::setRemoteFetchLimit(int64_t(4) << 20);
        QVERIFY(writeSafetensors(m_root.filePath("big.safetensors"), {{"big", {8192, 1024}}}));
        const qint64 fileSize = QFileInfo(m_root.filePath("big.safetensors")).size();
        const QString url = m_server->url("files", "big.safetensors");
        const QString size = QLocale().formattedDataSize(8192 * 1024 * 4);
        m_server->clearLog();
        MainWindow w;
        w.resize(1100, 720);
        w.show();
        QSignalSpy loaded(&w, &MainWindow::fileLoaded);
        QSignalSpy shown(&w, &MainWindow::tensorShown);
        QVERIFY(w.openFile(url));
        QVERIFY(loaded.wait(10000));
        QTRY_COMPARE(shown.count(), 1);
        HeatmapWidget* heatmap = w.tensorView()->heatmap();
        QTRY_VERIFY(heatmap->awaitsWholeFetch());
        QVERIFY2(heatmap->statusNote().startsWith("preview: 1 row in "),
                 qPrintable(heatmap->statusNote()));
        QTRY_VERIFY(w.statsPanel()->computeButton()->isVisible());
        QCOMPARE(w.statsPanel()->computeButton()->text(), "Read All " + size);
        QCOMPARE(w.statsPanel()->value("min"),
                 "Statistics read every value: " + size + " from the server.");
        QCOMPARE(w.histogram()->title(),
                 "The histogram reads all " + size + "\nfrom the server:\nRead All in Statistics.");
        QTRY_VERIFY(w.spectrum()->computeButton()->isVisible());
        QTest::qWait(1000); // time enough for any background read to start
        const qint64 looked = m_server->bytesSent("/files/big.safetensors");
        // The preview reads one row in fr, a 64 KiB block each: about half of this file
        // (a few dozen megabytes of a gigabyte embedding).
        QVERIFY2(looked < fileSize * 6 / 10, qPrintable(QString::number(looked)));
        QTest::qWait(500);
        QCOMPARE(m_server->bytesSent("/files/big.safetensors"), looked);

        w.statsPanel()->computeButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(heatmap->rangeIsExact(), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(w.statsPanel()->value("min"), QStringLiteral("-0.5"), 30000);
        // The fixture's values are (i * 7 % 1001) * 0.001 - 0.5: multiples of 7 up to 994.
        QCOMPARE(w.statsPanel()->value("max").toFloat(), 994 * 0.001f - 0.5f);
        QVERIFY(!w.statsPanel()->computeButton()->isVisible());
        QVERIFY(!heatmap->awaitsWholeFetch());
        QTRY_COMPARE(heatmap->statusNote(), QString());
        const qint64 all = m_server->bytesSent("/files/big.safetensors", fileSize);
        QVERIFY2(all >= fileSize && all < fileSize + looked + (1 << 20),
                 qPrintable(QString::number(all)));
        HeatmapWidget::setRemoteFetchLimit(int64_t(64) << 20);
    }

    // Preferences: the disk cache's size (stored, and given to the HTTP layer at once)
    // and Clear, which empties the folder that the first test filled.
    void preferencesSizeAndClearTheDiskCache() {
        qunsetenv("WS_HTTP_CACHE_MB");
        QVERIFY(DiskBlockCache::bytesUnder(m_cache.path()) > 0);
        MainWindow w;
        w.show();
        QAction* prefs = nullptr;
        for (QAction* a : w.menuBar()->findChildren<QAction*>())
            if (a->text() == QStringLiteral("&Preferences…")) prefs = a;
        QVERIFY(prefs);
        QString usedBefore, usedAfter;
        bool found = false;
        QTimer::singleShot(0, &w, [&] {
            auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
            if (!dialog) return;
            auto* cache = dialog->findChild<QSpinBox*>(QStringLiteral("remoteCacheMiB"));
            auto* used = dialog->findChild<QLabel*>(QStringLiteral("remoteCacheUsed"));
            auto* clear = dialog->findChild<QPushButton*>(QStringLiteral("clearRemoteCache"));
            found = cache && used && clear;
            if (!found) return dialog->reject();
            usedBefore = used->text();
            clear->click();
            usedAfter = used->text();
            cache->setValue(300);
            dialog->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        });
        prefs->trigger();
        QVERIFY(found);
        QVERIFY2(usedBefore.endsWith(" in use") && usedBefore != "0 bytes in use",
                 qPrintable(usedBefore));
        QCOMPARE(usedAfter, QStringLiteral("0 bytes in use"));
        QCOMPARE(DiskBlockCache::bytesUnder(m_cache.path()), qint64(0));
        QCOMPARE(MainWindow::remoteCacheMiB(), 300);
        QCOMPARE(HttpOptions::fromEnvironment().diskCacheBytes, qint64(300) << 20);
        // The environment still wins over the setting.
        qputenv("WS_HTTP_CACHE_MB", "5");
        QCOMPARE(HttpOptions::fromEnvironment().diskCacheBytes, qint64(5) << 20);
        qunsetenv("WS_HTTP_CACHE_MB");
    }
};

QTEST_MAIN(TestRemoteWindow)
#include "tst_remotewindow.moc"
