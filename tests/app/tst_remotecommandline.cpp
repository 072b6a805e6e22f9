// `weightscope info|stats|export URL`, run as a process against nginx on the
// loopback: the same output as for the local file, the bytes fetched (as nginx
// logged them) far below the file size, and clear errors with exit code 2.
#include "HttpTestServer.h"
#include "RemoteFixtures.h"

#include <QRegularExpression>
#include <QTemporaryDir>

using namespace wstest;

class TstRemoteCommandLine : public QObject {
    Q_OBJECT
    QTemporaryDir m_root, m_cache;
    std::unique_ptr<HttpTestServer> m_server;

    QString url(const QString& rel) const { return m_server->url("files", rel); }
    QString local(const QString& rel) const { return m_root.filePath(rel); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(env("WS_BINARY")), "WS_BINARY not built");
        qputenv("WS_HTTP_CACHE_DIR", m_cache.path().toUtf8());
        qputenv("WS_HTTP_RETRIES", "1");
        qunsetenv("WS_HTTP_TOKEN");
        qunsetenv("WS_HTTP_STATS");
        QVERIFY(copyInto(fixture("safetensors/mlp.safetensors"), local("mlp.safetensors")));
        for (const char* f : {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                              "model-00002-of-00002.safetensors"})
            QVERIFY(copyInto(fixture(QStringLiteral("safetensors/sharded/") + f),
                             local(QStringLiteral("sharded/") + f)));
        QVERIFY(copyInto(fixture("numpy/dtype_f4.npy"), local("dtype_f4.npy")));
        // 40 MB: an embedding and four 9.4 MB layers.
        QVERIFY(writeSafetensors(local("big.safetensors"), {{"embed", {1000, 256}},
                                                            {"layer0", {1536, 1536}},
                                                            {"layer1", {1536, 1536}},
                                                            {"layer2", {1536, 1536}},
                                                            {"layer3", {1536, 1536}}}));
        m_server = std::make_unique<HttpTestServer>(m_root.path());
        QVERIFY2(m_server->ok(), qPrintable(m_server->error()));
    }

    void infoMatchesLocal_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("safetensors") << "mlp.safetensors";
        QTest::newRow("sharded") << "sharded/model.safetensors.index.json";
        QTest::newRow("npy") << "dtype_f4.npy";
    }
    void infoMatchesLocal() {
        QFETCH(QString, rel);
        for (const QStringList& extra : {QStringList{}, QStringList{"--json", "--stats"}}) {
            const RunResult a = runWeightscope(QStringList{"info", local(rel)} + extra);
            const RunResult b = runWeightscope(QStringList{"info", url(rel)} + extra);
            QCOMPARE(a.code, 0);
            QVERIFY2(b.code == 0, qPrintable(b.err));
            QString remoteOut = b.out;
            remoteOut.replace(url(rel), local(rel));
            QCOMPARE(remoteOut, a.out);
        }
    }

    void statsAndExportMatchLocal() {
        const QString rel = "sharded/model.safetensors.index.json";
        const RunResult a = runWeightscope({"stats", local(rel), "layers.0.fc.weight", "--json"});
        const RunResult b = runWeightscope({"stats", url(rel), "layers.0.fc.weight", "--json"});
        QCOMPARE(a.code, 0);
        QVERIFY2(b.code == 0, qPrintable(b.err));
        QString remoteOut = b.out;
        remoteOut.replace(url(rel), local(rel));
        QCOMPARE(remoteOut, a.out);
        QTemporaryDir out;
        for (const char* suffix : {"npy", "png"}) {
            const QString x = out.filePath(QStringLiteral("local.") + suffix);
            const QString y = out.filePath(QStringLiteral("remote.") + suffix);
            QCOMPARE(runWeightscope({"export", local(rel), "head.weight", "-o", x}).code, 0);
            const RunResult r = runWeightscope({"export", url(rel), "head.weight", "-o", y});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            QFile fx(x), fy(y);
            QVERIFY(fx.open(QIODevice::ReadOnly) && fy.open(QIODevice::ReadOnly));
            QCOMPARE(fy.readAll(), fx.readAll());
        }
    }

    void bytesFetchedAreFarBelowTheFileSize() {
        const qint64 size = QFileInfo(local("big.safetensors")).size();
        qputenv("WS_HTTP_STATS", "1");
        m_server->clearLog();
        const RunResult info = runWeightscope({"info", url("big.safetensors")});
        const qint64 infoLog = m_server->bytesSent("/files/big", 64 * 1024);
        m_server->clearLog();
        QTemporaryDir out;
        const RunResult exported = runWeightscope(
            {"export", url("big.safetensors"), "embed", "-o", out.filePath("embed.png")});
        const qint64 exportLog = m_server->bytesSent("/files/big", 1000 * 256 * 4);
        qunsetenv("WS_HTTP_STATS");
        QVERIFY2(info.code == 0, qPrintable(info.err));
        QVERIFY2(exported.code == 0, qPrintable(exported.err));
        const QRegularExpression fetched(QStringLiteral("fetched (\\d+) bytes in (\\d+) requests"));
        const auto m1 = fetched.match(info.err), m2 = fetched.match(exported.err);
        QVERIFY2(m1.hasMatch() && m2.hasMatch(), qPrintable(info.err + exported.err));
        qInfo("file %lld bytes; info: %s bytes fetched, %lld sent by nginx; export of a 1 MB "
              "tensor: %s bytes fetched, %lld sent by nginx",
              size, qPrintable(m1.captured(1)), infoLog, qPrintable(m2.captured(1)), exportLog);
        QCOMPARE(m1.captured(1).toLongLong(), 64 * 1024); // the header's block
        QVERIFY(infoLog < 64 * 1024 + 1024);
        QVERIFY(m2.captured(1).toLongLong() <= 1000 * 256 * 4 + 64 * 1024);
        QVERIFY(exportLog < 1000 * 256 * 4 + 80 * 1024);
        QVERIFY(exportLog < size / 30);
    }

    void failuresExitWithAClearMessage_data() {
        QTest::addColumn<QString>("location");
        QTest::addColumn<QString>("timeoutMs");
        QTest::addColumn<QString>("expected");
        QTest::newRow("ignores range") << "norange"
                                       << ""
                                       << "does not support range requests";
        QTest::newRow("slow") << "slow"
                              << "500"
                              << "timed out";
        QTest::newRow("token") << "private"
                               << ""
                               << "HTTP 401";
    }
    void failuresExitWithAClearMessage() {
        QFETCH(QString, location);
        QFETCH(QString, timeoutMs);
        QFETCH(QString, expected);
        if (!timeoutMs.isEmpty()) qputenv("WS_HTTP_TIMEOUT_MS", timeoutMs.toUtf8());
        const QString u = m_server->url(location, "big.safetensors");
        const RunResult r = runWeightscope({"info", u});
        qunsetenv("WS_HTTP_TIMEOUT_MS");
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(u) && r.err.contains(expected), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TstRemoteCommandLine)
#include "tst_remotecommandline.moc"
