// A remote file read with HTTP range requests, as a ByteSource: readers and views
// read a URL exactly as they read a local file. Blocks are cached in memory (LRU,
// bounded) and on disk (DiskBlockCache); requests per source are bounded; a file
// that changes on the server (ETag / Last-Modified / size) stops being read.
#pragma once

#include "ByteSource.h"
#include "HttpTransfer.h"

#include <QHash>
#include <QSet>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>

namespace ws {

class DiskBlockCache;

class HttpByteSource : public ByteSource {
public:
    /// Opens \a url: one range request learns the size and version and fetches the
    /// first block. Null with \a error (naming the URL) when the server cannot serve
    /// ranges of it.
    static std::shared_ptr<HttpByteSource> open(const QString& url, const HttpOptions& options,
                                                QString* error);

    QString name() const override { return m_url; }
    qint64 size() const override { return m_size; }
    bool read(qint64 offset, qint64 size, char* dst, QString* error) const override;
    bool isRemote() const override { return true; }

    /// Stops every request in flight and fails the ones to come.
    void cancel() { m_cancel = true; }
    const HttpCounters& counters() const { return m_counters; }
    QByteArray etag() const { return m_etag; }

    HttpByteSource(QString url, HttpOptions options);
    ~HttpByteSource() override;

private:
    qint64 blockLength(qint64 index) const;
    /// Fetches blocks [first, first + count) (disk, then network) and keeps them.
    bool fetchRun(qint64 first, qint64 count, std::vector<QByteArray>* blocks,
                  QString* error) const;
    bool sameVersion(const HttpResponse& r, QString* error) const;
    void keep(qint64 index, const QByteArray& bytes) const; ///< m_mutex held

    QString m_url;
    HttpOptions m_options;
    qint64 m_size = 0;
    QByteArray m_etag, m_lastModified;
    QString m_diskKey;
    std::shared_ptr<DiskBlockCache> m_disk;
    mutable HttpCounters m_counters;
    std::atomic<bool> m_cancel{false};

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
    mutable QHash<qint64, std::pair<QByteArray, std::list<qint64>::iterator>> m_blocks;
    mutable std::list<qint64> m_lru; ///< most recent first
    mutable qint64 m_cachedBytes = 0;
    mutable QSet<qint64> m_inFlight;
    mutable int m_requests = 0;     ///< requests running now (at most maxConnections)
    mutable QString m_changedError; ///< set once the file changed on the server
};

/// Makes openByteSource() open http(s) URLs with HttpByteSource (options from the
/// environment). Idempotent.
void installHttpOpener();

} // namespace ws
