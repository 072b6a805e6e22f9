// Range requests with libcurl. The headers of the final response (after redirects)
// are parsed here; a 200 to a range request is aborted at its first body byte, so a
// server without range support never makes us download a 100 GB file by accident.
#include "HttpTransfer.h"
#include "DiskBlockCache.h"

#include <QByteArrayList>
#include <QStandardPaths>
#include <QThread>
#include <QUrl>
#include <curl/curl.h>
#include <mutex>
#include <vector>

namespace ws {

namespace {

qint64 envNumber(const char* name, qint64 fallback) {
    bool ok = false;
    const qint64 v = qEnvironmentVariable(name).toLongLong(&ok);
    return ok && v >= 0 ? v : fallback;
}

// Easy handles are kept between requests so that connections are reused.
class HandlePool {
public:
    HandlePool() { curl_global_init(CURL_GLOBAL_DEFAULT); }
    ~HandlePool() {
        for (CURL* h : m_free)
            curl_easy_cleanup(h);
    }
    CURL* take() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (!m_free.empty()) {
                CURL* h = m_free.back();
                m_free.pop_back();
                curl_easy_reset(h);
                return h;
            }
        }
        return curl_easy_init();
    }
    void give(CURL* h) {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_free.size() < 16)
            m_free.push_back(h);
        else
            curl_easy_cleanup(h);
    }

private:
    std::mutex m_mutex;
    std::vector<CURL*> m_free;
};

HandlePool& pool() {
    static HandlePool p;
    return p;
}

struct Exchange {
    HttpResponse* response = nullptr;
    HttpCounters* counters = nullptr;
    const std::atomic<bool>* cancel = nullptr;
    quint64 generation = 0; ///< g_cancelGeneration when the request began
    qint64 expected = -1;   ///< body bytes asked for (-1: any)
    bool rangeAsked = true;
    bool tooLong = false;
    QByteArray reason;     ///< the status line's reason phrase
    QByteArray contentLen; ///< Content-Length of the final response
};

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    auto* x = static_cast<Exchange*>(user);
    const size_t n = size * count;
    const QByteArray line = QByteArray(data, qsizetype(n)).trimmed();
    HttpResponse* r = x->response;
    if (line.startsWith("HTTP/")) { // a new response (after a redirect): start over
        const QByteArrayList parts = line.split(' ');
        r->status = parts.size() > 1 ? parts[1].toLong() : 0;
        x->reason = parts.size() > 2 ? parts.mid(2).join(' ') : QByteArray();
        r->etag.clear();
        r->lastModified.clear();
        r->totalSize = r->rangeBegin = r->rangeEnd = -1;
        x->contentLen.clear();
        return n;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0) return n;
    const QByteArray key = line.left(colon).trimmed().toLower();
    const QByteArray value = line.mid(colon + 1).trimmed();
    if (key == "etag") {
        r->etag = value;
    } else if (key == "last-modified") {
        r->lastModified = value;
    } else if (key == "content-length") {
        x->contentLen = value;
    } else if (key == "content-range") { // "bytes a-b/total" or "bytes */total"
        const QByteArray spec = value.mid(value.indexOf(' ') + 1);
        const qsizetype slash = spec.indexOf('/');
        const QByteArray range = spec.left(slash), total = spec.mid(slash + 1);
        bool ok = false;
        const qint64 t = total.toLongLong(&ok);
        r->totalSize = ok && slash > 0 ? t : -1;
        const qsizetype dash = range.indexOf('-');
        if (dash > 0) {
            r->rangeBegin = range.left(dash).toLongLong(&ok);
            if (!ok) r->rangeBegin = -1;
            r->rangeEnd = range.mid(dash + 1).toLongLong(&ok);
            if (!ok) r->rangeEnd = -1;
        }
    }
    return n;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
    auto* x = static_cast<Exchange*>(user);
    const size_t n = size * count;
    HttpResponse* r = x->response;
    if (x->rangeAsked && r->status == 200) { // the whole file is coming: stop it now
        r->ignoredRange = true;
        bool ok = false;
        r->totalSize = x->contentLen.toLongLong(&ok);
        if (!ok) r->totalSize = -1;
        return 0;
    }
    if (r->status < 200 || r->status >= 300) return n; // an error page: not kept
    if (x->expected >= 0 && r->body.size() + qint64(n) > x->expected) {
        x->tooLong = true;
        return 0;
    }
    r->body.append(data, qsizetype(n));
    x->counters->bytesFetched += qint64(n);
    httpTotals().bytesFetched += qint64(n);
    return n;
}

std::atomic<quint64> g_cancelGeneration{0}; // bumped by cancelAllHttpTransfers()
std::atomic<int> g_inFlight{0};             // httpGetRange calls running now
std::atomic<qint64> g_diskCacheLimit{-1};   // setDiskCacheLimit(); -1: the default

// Counts a request as running for as long as it lives.
struct InFlight {
    InFlight() { ++g_inFlight; }
    ~InFlight() { --g_inFlight; }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
};

int onProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* x = static_cast<Exchange*>(user);
    return x->generation != g_cancelGeneration.load() || (x->cancel && x->cancel->load()) ? 1 : 0;
}

bool retryable(CURLcode code) {
    switch (code) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_CONNECT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

} // namespace

HttpOptions HttpOptions::fromEnvironment() {
    HttpOptions o;
    o.transferTimeoutMs = envNumber("WS_HTTP_TIMEOUT_MS", o.transferTimeoutMs);
    o.connectTimeoutMs = envNumber("WS_HTTP_CONNECT_TIMEOUT_MS", o.connectTimeoutMs);
    o.retries = int(std::min<qint64>(envNumber("WS_HTTP_RETRIES", o.retries), 20));
    o.maxConnections =
        int(std::clamp<qint64>(envNumber("WS_HTTP_CONNECTIONS", o.maxConnections), 1, 32));
    if (g_diskCacheLimit.load() >= 0) o.diskCacheBytes = g_diskCacheLimit.load();
    o.diskCacheBytes = envNumber("WS_HTTP_CACHE_MB", o.diskCacheBytes >> 20) << 20;
    o.diskCacheDir = diskCacheFolder();
    return o;
}

QString HttpOptions::diskCacheFolder() {
    const QString dir = qEnvironmentVariable("WS_HTTP_CACHE_DIR");
    if (!dir.isEmpty()) return dir;
    return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) +
           QStringLiteral("/remote");
}

void HttpOptions::setDiskCacheLimit(qint64 bytes) {
    g_diskCacheLimit = std::max<qint64>(bytes, 0);
    // Files open now share the folder's cache: it takes the limit at once.
    DiskBlockCache::at(diskCacheFolder(), fromEnvironment().diskCacheBytes);
}

void cancelAllHttpTransfers() {
    ++g_cancelGeneration;
}

int httpTransfersInFlight() {
    return g_inFlight.load();
}

HttpCounters& httpTotals() {
    static HttpCounters totals;
    return totals;
}

QString byteCountText(qint64 bytes) {
    if (bytes < 1024) return QStringLiteral("%1 bytes").arg(bytes);
    const char* units[] = {"KB", "MB", "GB", "TB"};
    double v = double(bytes);
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        ++u;
    }
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 1 : 0).arg(QLatin1String(units[u]));
}

bool httpGetRange(const QString& url, qint64 begin, qint64 length, const HttpOptions& options,
                  HttpCounters* counters, const std::atomic<bool>* cancel, HttpResponse* response,
                  QString* error) {
    const QString shown = QUrl(url).toDisplayString(QUrl::RemoveUserInfo);
    const QByteArray target = url.toUtf8();
    QByteArray range = QByteArray::number(begin) + '-';
    if (length >= 0) range += QByteArray::number(begin + length - 1);
    const QByteArray token = qgetenv("WS_HTTP_TOKEN");
    const QByteArray authorization = "Authorization: Bearer " + token;
    qint64 delay = options.retryDelayMs;
    QString problem;
    const InFlight running;
    const quint64 generation = g_cancelGeneration.load();
    const auto cancelled = [&] {
        return generation != g_cancelGeneration.load() || (cancel && cancel->load());
    };
    for (int attempt = 0; attempt <= options.retries; ++attempt) {
        if (attempt > 0) {
            QThread::msleep(quint64(delay));
            delay *= 2;
            ++counters->retries;
            ++httpTotals().retries;
        }
        if (cancelled()) break;
        *response = HttpResponse();
        response->attempts = attempt + 1;
        if (length > 0) response->body.reserve(qsizetype(length));
        Exchange x;
        x.response = response;
        x.counters = counters;
        x.cancel = cancel;
        x.generation = generation;
        x.expected = length;
        CURL* h = pool().take();
        if (!h) {
            *error = QStringLiteral("%1: cannot start an HTTP transfer").arg(shown);
            return false;
        }
        curl_slist* headers = nullptr;
        if (!token.isEmpty()) headers = curl_slist_append(headers, authorization.constData());
        curl_easy_setopt(h, CURLOPT_URL, target.constData());
        curl_easy_setopt(h, CURLOPT_RANGE, range.constData());
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(options.connectTimeoutMs));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(options.transferTimeoutMs));
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "WeightScope");
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "identity");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, onProgress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
        ++counters->requests;
        ++httpTotals().requests;
        const CURLcode code = curl_easy_perform(h);
        curl_slist_free_all(headers);
        pool().give(h);

        if (response->ignoredRange) {
            *error = QStringLiteral("%1: the server does not support range requests (it "
                                    "answered with the whole file%2); download the file "
                                    "and open it locally")
                         .arg(shown, response->totalSize >= 0
                                         ? QStringLiteral(" of %1 bytes, %2")
                                               .arg(response->totalSize)
                                               .arg(byteCountText(response->totalSize))
                                         : QString());
            return false;
        }
        if (x.tooLong) {
            *error = QStringLiteral("%1: the server sent more than the %2 bytes asked for at "
                                    "offset %3")
                         .arg(shown)
                         .arg(length)
                         .arg(begin);
            return false;
        }
        if (code == CURLE_ABORTED_BY_CALLBACK) {
            *error = QStringLiteral("%1: cancelled").arg(shown);
            return false;
        }
        if (code == CURLE_OPERATION_TIMEDOUT) {
            *error = QStringLiteral("%1: timed out reading %2 bytes at offset %3 (limit %4 ms, "
                                    "WS_HTTP_TIMEOUT_MS)")
                         .arg(shown)
                         .arg(length)
                         .arg(begin)
                         .arg(options.transferTimeoutMs);
            return false;
        }
        if (code != CURLE_OK) {
            problem = QString::fromUtf8(curl_easy_strerror(code));
            if (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING)
                problem = QStringLiteral("the connection dropped after %1 bytes (%2)")
                              .arg(response->body.size())
                              .arg(problem);
            if (retryable(code)) continue;
            break;
        }
        const long status = response->status;
        if (status >= 500) {
            problem = QStringLiteral("HTTP %1 %2").arg(status).arg(QString::fromUtf8(x.reason));
            continue;
        }
        if (begin == 0 && ((status == 416 && response->totalSize == 0) ||
                           (status == 200 && x.contentLen == "0"))) { // an empty file
            response->totalSize = 0;
            return true;
        }
        if (status != 206) {
            problem = QStringLiteral("HTTP %1 %2").arg(status).arg(QString::fromUtf8(x.reason));
            if (status == 401 || status == 403)
                problem +=
                    QStringLiteral(" (a bearer token is sent from WS_HTTP_TOKEN%1)")
                        .arg(token.isEmpty() ? QStringLiteral(", which is not set") : QString());
            break;
        }
        const qint64 got = response->body.size();
        if (response->rangeBegin != begin || response->totalSize < 0 ||
            response->rangeEnd - response->rangeBegin + 1 != got ||
            (length >= 0 && got != length && response->rangeEnd != response->totalSize - 1)) {
            problem = QStringLiteral("the server answered bytes %1-%2 of %3 (%4 received) to a "
                                     "request for bytes %5")
                          .arg(response->rangeBegin)
                          .arg(response->rangeEnd)
                          .arg(response->totalSize)
                          .arg(got)
                          .arg(QString::fromLatin1(range));
            break;
        }
        return true;
    }
    if (cancelled()) problem = QStringLiteral("cancelled");
    *error = QStringLiteral("%1: %2%3")
                 .arg(shown, problem,
                      response->attempts > 1
                          ? QStringLiteral(" (after %1 attempts)").arg(response->attempts)
                          : QString());
    return false;
}

} // namespace ws
