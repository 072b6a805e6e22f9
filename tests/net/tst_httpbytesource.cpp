// HttpByteSource against a real nginx on the loopback (and a Python server that drops
// connections): exact bytes by range, the caches, the request counters, and a clear
// error for every kind of server that cannot be read.
#include "DiskBlockCache.h"
#include "HttpByteSource.h"
#include "HttpTestServer.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <thread>

using namespace ws;
using namespace wstest;

namespace {

QByteArray randomBytes(qint64 n, quint32 seed) {
    QByteArray b(qsizetype(n), Qt::Uninitialized);
    QRandomGenerator g(seed);
    for (qsizetype i = 0; i < b.size(); ++i)
        b[i] = char(g.generate() & 0xff);
    return b;
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestHttpByteSource : public QObject {
    Q_OBJECT
    QTemporaryDir m_root, m_cache;
    std::unique_ptr<HttpTestServer> m_server;
    QByteArray m_data; // data.bin: 1 MB + 123 bytes (the last block is short)

    HttpOptions options() const {
        HttpOptions o;
        o.retryDelayMs = 20;
        o.diskCacheBytes = 0; // tests of the disk cache turn it on
        o.diskCacheDir = m_cache.path();
        return o;
    }

private Q_SLOTS:
    void initTestCase() {
        qunsetenv("WS_HTTP_TOKEN");
        m_data = randomBytes((1 << 20) + 123, 7);
        QVERIFY(writeFile(m_root.filePath("data.bin"), m_data));
        QVERIFY(writeFile(m_root.filePath("empty.bin"), QByteArray()));
        m_server = std::make_unique<HttpTestServer>(m_root.path());
        QVERIFY2(m_server->ok(), qPrintable(m_server->error()));
    }

    void readsExactRanges() {
        QString error;
        const QString url = m_server->url("files", "data.bin");
        auto s = HttpByteSource::open(url, options(), &error);
        QVERIFY2(s, qPrintable(error));
        QCOMPARE(s->name(), url);
        QCOMPARE(s->size(), m_data.size());
        QCOMPARE(s->counters().requests.load(), 1);
        QCOMPARE(s->counters().bytesFetched.load(), 64 * 1024); // the first block
        QVERIFY(!s->etag().isEmpty());
        const std::pair<qint64, qint64> ranges[] = {
            {0, 8}, {100, 5000}, {65530, 20}, {300000, 200000}, {m_data.size() - 50, 50}};
        for (const auto& [offset, size] : ranges) {
            QByteArray got(qsizetype(size), 0);
            QVERIFY2(s->read(offset, size, got.data(), &error), qPrintable(error));
            QCOMPARE(got, m_data.mid(offset, size));
        }
        // Blocks 0, 1, 4-7 and the last: each fetched once, as whole blocks.
        const qint64 fetched = s->counters().bytesFetched.load();
        QCOMPARE(fetched, 6 * 64 * 1024 + 123);
        QCOMPARE(s->counters().requests.load(), 4);
        // Read again: from memory, nothing crosses the wire.
        QByteArray again(200000, 0);
        QVERIFY(s->read(300000, 200000, again.data(), &error));
        QCOMPARE(again, m_data.mid(300000, 200000));
        QCOMPARE(s->counters().bytesFetched.load(), fetched);
        QCOMPARE(s->counters().requests.load(), 4);
        // Past the end: an error naming the URL, nothing fetched.
        QByteArray past(10, 0);
        QVERIFY(!s->read(m_data.size() - 5, 10, past.data(), &error));
        QVERIFY(error.contains(url));
    }

    void concurrentReadsAreExact() {
        QString error;
        auto s = HttpByteSource::open(m_server->url("files", "data.bin"), options(), &error);
        QVERIFY2(s, qPrintable(error));
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                QRandomGenerator g(quint32(100 + t));
                for (int i = 0; i < 40; ++i) {
                    const qint64 offset = g.bounded(qint64(m_data.size()) - 1);
                    const qint64 size = g.bounded(std::min<qint64>(m_data.size() - offset, 90000));
                    QByteArray got(qsizetype(size), 0);
                    QString e;
                    if (!s->read(offset, size, got.data(), &e) || got != m_data.mid(offset, size))
                        ++wrong;
                }
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(wrong.load(), 0);
        // Every block was fetched at most once: never more than the file.
        QVERIFY(s->counters().bytesFetched.load() <= m_data.size());
    }

    void diskCacheServesAReopenedUrl() {
        QTemporaryDir cacheDir;
        HttpOptions o = options();
        o.diskCacheBytes = 64 << 20;
        o.diskCacheDir = cacheDir.path();
        QString error;
        const QString url = m_server->url("files", "data.bin");
        QByteArray got(300000, 0);
        {
            auto s = HttpByteSource::open(url, o, &error);
            QVERIFY2(s, qPrintable(error));
            QVERIFY(s->read(200000, 300000, got.data(), &error));
            QCOMPARE(s->counters().diskHits.load(), 0);
        }
        auto s = HttpByteSource::open(url, o, &error);
        QVERIFY2(s, qPrintable(error));
        QByteArray again(300000, 0);
        QVERIFY(s->read(200000, 300000, again.data(), &error));
        QCOMPARE(again, m_data.mid(200000, 300000));
        QCOMPARE(s->counters().diskHits.load(), 5);             // blocks 3-7 from disk
        QCOMPARE(s->counters().bytesFetched.load(), 64 * 1024); // only the opening block
        QCOMPARE(s->counters().requests.load(), 1);
        s.reset();
        // A damaged block on disk (a torn write) fails its CRC and is fetched again.
        const QStringList dirs = QDir(cacheDir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(dirs.size(), 1);
        QFile data(cacheDir.filePath(dirs[0] + "/data"));
        QVERIFY(data.open(QIODevice::ReadWrite) && data.seek(4 * 64 * 1024 + 10));
        data.write("garbage");
        data.close();
        s = HttpByteSource::open(url, o, &error);
        QVERIFY2(s, qPrintable(error));
        QVERIFY(s->read(200000, 300000, again.data(), &error));
        QCOMPARE(again, m_data.mid(200000, 300000));
        QCOMPARE(s->counters().diskHits.load(), 4);
        QCOMPARE(s->counters().bytesFetched.load(), 2 * 64 * 1024);
    }

    void diskCacheKeepsItsLimit() {
        QTemporaryDir cacheDir;
        HttpOptions o = options();
        o.diskCacheBytes = 256 * 1024;
        o.diskCacheDir = cacheDir.path();
        QString error;
        auto s = HttpByteSource::open(m_server->url("files", "data.bin"), o, &error);
        QVERIFY2(s, qPrintable(error));
        QByteArray all(m_data.size(), 0);
        QVERIFY(s->read(0, all.size(), all.data(), &error));
        QCOMPARE(all, m_data);
        const qint64 held = DiskBlockCache::at(cacheDir.path(), o.diskCacheBytes)->totalBytes();
        QVERIFY2(held > 0 && held <= o.diskCacheBytes, qPrintable(QString::number(held)));
    }

    // Preferences change the limit of a cache in use: a smaller one deletes at once, 0
    // empties it and keeps nothing more; clear() deletes everything and the source then
    // fetches again what it reads.
    void diskCacheTakesANewLimitAndClears() {
        QTemporaryDir cacheDir;
        HttpOptions o = options();
        o.diskCacheBytes = 64 << 20;
        o.diskCacheDir = cacheDir.path();
        QString error;
        auto s = HttpByteSource::open(m_server->url("files", "data.bin"), o, &error);
        QVERIFY2(s, qPrintable(error));
        QByteArray all(m_data.size(), 0);
        QVERIFY(s->read(0, all.size(), all.data(), &error));
        const qint64 full = DiskBlockCache::bytesUnder(cacheDir.path());
        QVERIFY2(full >= m_data.size(), qPrintable(QString::number(full)));
        DiskBlockCache::at(cacheDir.path(), 0); // what HttpOptions::setDiskCacheLimit(0) does
        QCOMPARE(DiskBlockCache::bytesUnder(cacheDir.path()), qint64(0));
        QVERIFY(s->read(0, 1000, all.data(), &error)); // from memory; nothing written
        QCOMPARE(DiskBlockCache::bytesUnder(cacheDir.path()), qint64(0));
        DiskBlockCache::at(cacheDir.path(), 64 << 20);
        auto again = HttpByteSource::open(m_server->url("files", "data.bin"), o, &error);
        QVERIFY2(again, qPrintable(error));
        QVERIFY(again->read(0, all.size(), all.data(), &error));
        QCOMPARE(all, m_data);
        QVERIFY(DiskBlockCache::bytesUnder(cacheDir.path()) >= m_data.size());
        QVERIFY(DiskBlockCache::clear(cacheDir.path()));
        QCOMPARE(DiskBlockCache::bytesUnder(cacheDir.path()), qint64(0));
        QCOMPARE(QDir(cacheDir.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 0);
        auto third = HttpByteSource::open(m_server->url("files", "data.bin"), o, &error);
        QVERIFY2(third, qPrintable(error));
        QVERIFY(third->read(0, all.size(), all.data(), &error));
        QCOMPARE(all, m_data);
        QCOMPARE(third->counters().diskHits.load(), 0); // fetched again, all of it
        QVERIFY(third->counters().bytesFetched.load() >= m_data.size());
    }

    void followsRedirects() {
        QString error;
        const QString url = m_server->url("redirect", "data.bin");
        auto s = HttpByteSource::open(url, options(), &error);
        QVERIFY2(s, qPrintable(error));
        QCOMPARE(s->name(), url); // messages name what the user opened
        QByteArray got(1000, 0);
        QVERIFY(s->read(500000, 1000, got.data(), &error));
        QCOMPARE(got, m_data.mid(500000, 1000));
    }

    void serverIgnoringRangeIsAClearError() {
        QString error;
        const QString url = m_server->url("norange", "data.bin");
        const qint64 totalBefore = httpTotals().bytesFetched.load();
        QVERIFY(!HttpByteSource::open(url, options(), &error));
        QVERIFY2(error.contains(url) && error.contains("does not support range requests") &&
                     error.contains(QString::number(m_data.size())),
                 qPrintable(error));
        QCOMPARE(httpTotals().bytesFetched.load(), totalBefore); // the body was not kept
        const auto log = m_server->served("/norange/", 1);       // logged when the request ends
        QCOMPARE(log.size(), 1);
        QCOMPARE(log[0].status, 200);
    }

    void slowServerTimesOut() {
        HttpOptions o = options();
        o.transferTimeoutMs = 700;
        o.retries = 0;
        QString error;
        const QString url = m_server->url("slow", "data.bin");
        QVERIFY(!HttpByteSource::open(url, o, &error));
        QVERIFY2(error.contains(url) && error.contains("timed out") &&
                     error.contains("WS_HTTP_TIMEOUT_MS"),
                 qPrintable(error));
    }

    void cancelStopsTransfersInFlight() {
        HttpOptions o = options();
        o.transferTimeoutMs = 60000; // the slow server needs 32 s for the first block
        QString error;
        std::shared_ptr<HttpByteSource> s;
        const qint64 before = httpTotals().requests.load();
        std::thread opener(
            [&] { s = HttpByteSource::open(m_server->url("slow", "data.bin"), o, &error); });
        for (int i = 0; i < 500 && httpTotals().requests.load() == before; ++i)
            QThread::msleep(10);
        QThread::msleep(200); // the request is under way (its body trickles for 32 s)
        cancelAllHttpTransfers();
        opener.join();
        QVERIFY(!s);
        QVERIFY2(error.contains("cancelled"), qPrintable(error));
        // Only what was in flight: a new transfer runs.
        QVERIFY2(HttpByteSource::open(m_server->url("files", "data.bin"), options(), &error),
                 qPrintable(error));
    }

    void bearerTokenFromTheEnvironment() {
        const QString url = m_server->url("private", "data.bin");
        QString error;
        QVERIFY(!HttpByteSource::open(url, options(), &error));
        QVERIFY2(error.contains("HTTP 401") && error.contains("WS_HTTP_TOKEN, which is not set"),
                 qPrintable(error));
        qputenv("WS_HTTP_TOKEN", "wrong-token-1234");
        QVERIFY(!HttpByteSource::open(url, options(), &error));
        QVERIFY(error.contains("HTTP 401"));
        QVERIFY2(!error.contains("wrong-token-1234"), qPrintable(error)); // never shown
        qputenv("WS_HTTP_TOKEN", "s3cret-token");
        auto s = HttpByteSource::open(url, options(), &error);
        qunsetenv("WS_HTTP_TOKEN");
        QVERIFY2(s, qPrintable(error));
        QByteArray got(16, 0);
        QVERIFY(s->read(70000, 16, got.data(), &error) == false); // token gone: 401 now
        QVERIFY(error.contains("HTTP 401"));
    }

    void serverErrorsAreRetried() {
        HttpOptions o = options();
        o.retries = 2;
        QString error;
        const QString url = m_server->url("broken", "data.bin");
        const qint64 requests = httpTotals().requests.load();
        QVERIFY(!HttpByteSource::open(url, o, &error));
        QVERIFY2(error.contains(url) && error.contains("HTTP 503") &&
                     error.contains("after 3 attempts"),
                 qPrintable(error));
        QCOMPARE(httpTotals().requests.load() - requests, 3);
    }

    void missingFileIsAClearError() {
        QString error;
        const QString url = m_server->url("files", "nothing.bin");
        QVERIFY(!HttpByteSource::open(url, options(), &error));
        QVERIFY2(error.contains(url) && error.contains("HTTP 404"), qPrintable(error));
    }

    void emptyFile() {
        QString error;
        auto s = HttpByteSource::open(m_server->url("files", "empty.bin"), options(), &error);
        QVERIFY2(s, qPrintable(error));
        QCOMPARE(s->size(), 0);
        QVERIFY(s->read(0, 0, nullptr, &error));
    }

    void fileChangedOnTheServer() {
        QVERIFY(writeFile(m_root.filePath("changing.bin"), m_data));
        QString error;
        const QString url = m_server->url("files", "changing.bin");
        auto s = HttpByteSource::open(url, options(), &error);
        QVERIFY2(s, qPrintable(error));
        // Same size, new contents and a new time: nginx's ETag changes.
        QByteArray other = randomBytes(m_data.size(), 99);
        QVERIFY(writeFile(m_root.filePath("changing.bin"), other));
        QFile f(m_root.filePath("changing.bin"));
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addSecs(3600),
                              QFileDevice::FileModificationTime));
        f.close();
        QByteArray got(1000, 0);
        QVERIFY(!s->read(600000, 1000, got.data(), &error));
        QVERIFY2(error.contains(url) && error.contains("changed on the server") &&
                     error.contains("ETag"),
                 qPrintable(error));
        // It stays an error, even for blocks read before.
        QVERIFY(!s->read(0, 10, got.data(), &error));
        QVERIFY(error.contains("changed on the server"));
    }

    void droppedConnectionsAreRetriedThenReported() {
        QVERIFY(writeFile(m_root.filePath("drop.bin"), m_data));
        for (const int drops : {1, -1}) {
            QProcess server;
            server.start(python(), {env("WS_NET") + "/drop_server.py", m_root.filePath("drop.bin"),
                                    "--drop", QString::number(drops)});
            QVERIFY(server.waitForReadyRead(10000));
            const int port = server.readLine().trimmed().toInt();
            QVERIFY(port > 0);
            const QString url = QStringLiteral("http://127.0.0.1:%1/drop.bin").arg(port);
            HttpOptions o = options();
            o.retries = 2;
            QString error;
            auto s = HttpByteSource::open(url, o, &error);
            if (drops == 1) { // dropped once, then served
                QVERIFY2(s, qPrintable(error));
                QCOMPARE(s->counters().retries.load(), 1);
                QByteArray got(100000, 0);
                QVERIFY2(s->read(400000, 100000, got.data(), &error), qPrintable(error));
                QCOMPARE(got, m_data.mid(400000, 100000));
            } else {
                QVERIFY(!s);
                QVERIFY2(error.contains(url) && error.contains("connection dropped") &&
                             error.contains("after 3 attempts"),
                         qPrintable(error));
            }
            server.kill();
            server.waitForFinished(5000);
        }
    }
};

QTEST_GUILESS_MAIN(TestHttpByteSource)
#include "tst_httpbytesource.moc"
