// One HTTP range request with libcurl: redirects followed, connect and transfer
// timeouts, retries with back-off on 5xx and dropped connections, an optional bearer
// token. Used by HttpByteSource; nothing else in the program speaks HTTP.
#pragma once

#include <QByteArray>
#include <QString>
#include <atomic>

namespace ws {

/// How remote files are fetched; from the environment by default (fromEnvironment).
struct HttpOptions {
    qint64 connectTimeoutMs = 10000;
    qint64 transferTimeoutMs = 120000; ///< per request (WS_HTTP_TIMEOUT_MS)
    int retries = 3;                   ///< extra attempts on 5xx and dropped connections
    qint64 retryDelayMs = 250;         ///< doubled after each attempt
    int maxConnections = 4;            ///< concurrent requests per source
    qint64 blockSize = 64 * 1024;      ///< cache granularity
    qint64 maxRequestBytes = 8 << 20;  ///< longest run of blocks fetched by one request
    qint64 memoryCacheBytes = 64 << 20;
    qint64 diskCacheBytes = qint64(1) << 30; ///< 0: no disk cache (WS_HTTP_CACHE_MB)
    QString diskCacheDir;                    ///< empty: QStandardPaths::CacheLocation/remote
    /// Read from WS_HTTP_TIMEOUT_MS, WS_HTTP_CONNECT_TIMEOUT_MS, WS_HTTP_RETRIES,
    /// WS_HTTP_CONNECTIONS, WS_HTTP_CACHE_MB, WS_HTTP_CACHE_DIR; without WS_HTTP_CACHE_MB
    /// the disk cache holds what setDiskCacheLimit() said (Preferences), else 1 GB.
    static HttpOptions fromEnvironment();
    /// The disk cache's folder (WS_HTTP_CACHE_DIR, else the user's cache folder).
    static QString diskCacheFolder();
    /// The disk cache's size when WS_HTTP_CACHE_MB does not set it: from now on, and for
    /// files already open (0 turns the cache off and empties it).
    static void setDiskCacheLimit(qint64 bytes);
};

/// What one response said.
struct HttpResponse {
    long status = 0;
    qint64 totalSize = -1;     ///< from Content-Range (206) or Content-Length (200)
    qint64 rangeBegin = -1;    ///< from Content-Range
    qint64 rangeEnd = -1;      ///< inclusive
    QByteArray etag;           ///< ETag, or empty
    QByteArray lastModified;   ///< Last-Modified, or empty
    QByteArray body;           ///< the bytes received
    bool ignoredRange = false; ///< the server answered 200 with the whole file
    int attempts = 0;
};

/// Shared counters (atomic: requests run on several threads).
struct HttpCounters {
    std::atomic<qint64> bytesFetched{0}; ///< body bytes received
    std::atomic<qint64> requests{0};     ///< requests sent, retries included
    std::atomic<qint64> retries{0};
    std::atomic<qint64> diskHits{0}; ///< blocks read from the disk cache
};

/// GETs bytes [begin, begin + length) of \a url (length -1: from begin to the end, the
/// size unknown). Retries per \a options. Aborts as soon as a server answers 200
/// (the whole file) to the range: \a response says so, with the size it announced.
/// False with \a error (naming the URL, never the token) on failure.
bool httpGetRange(const QString& url, qint64 begin, qint64 length, const HttpOptions& options,
                  HttpCounters* counters, const std::atomic<bool>* cancel, HttpResponse* response,
                  QString* error);

/// Counters of every request of this process (for a progress indicator).
HttpCounters& httpTotals();
/// Stops every transfer in flight (a window closing while a slow server is read, the
/// status bar's Stop button); transfers started later run as usual.
void cancelAllHttpTransfers();
/// Requests running now, in every thread (the status bar shows Stop while there are).
int httpTransfersInFlight();

/// "1.5 MB" style sizes for messages.
QString byteCountText(qint64 bytes);

} // namespace ws
