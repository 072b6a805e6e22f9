// Reads of a remote file: the blocks a read needs come from memory, else from the
// disk cache, else from the server in runs of contiguous blocks (one request per
// run). A block another thread is fetching is waited for, not fetched twice.
#include "HttpByteSource.h"
#include "DiskBlockCache.h"

#include <QUrl>
#include <algorithm>
#include <cstring>

namespace ws {

HttpByteSource::HttpByteSource(QString url, HttpOptions options)
    : m_url(std::move(url)), m_options(std::move(options)) {
    m_options.blockSize = std::max<qint64>(m_options.blockSize, 4096);
    m_options.maxConnections = std::max(m_options.maxConnections, 1);
}

HttpByteSource::~HttpByteSource() = default;

std::shared_ptr<HttpByteSource> HttpByteSource::open(const QString& url, const HttpOptions& options,
                                                     QString* error) {
    QString dummy;
    QString* err = error ? error : &dummy;
    const QUrl parsed(url);
    if (!parsed.isValid() || parsed.host().isEmpty() ||
        (parsed.scheme() != QLatin1String("http") && parsed.scheme() != QLatin1String("https"))) {
        *err = QStringLiteral("%1: not an http(s) URL").arg(url);
        return nullptr;
    }
    auto s = std::make_shared<HttpByteSource>(url, options);
    HttpResponse r;
    if (!httpGetRange(url, 0, s->m_options.blockSize, s->m_options, &s->m_counters, nullptr, &r,
                      err))
        return nullptr;
    s->m_size = std::max<qint64>(r.totalSize, 0);
    s->m_etag = r.etag;
    s->m_lastModified = r.lastModified;
    if (r.body.size() != std::min(s->m_size, s->m_options.blockSize)) {
        *err = QStringLiteral("%1: the first block holds %2 bytes of a %3-byte file")
                   .arg(url)
                   .arg(r.body.size())
                   .arg(s->m_size);
        return nullptr;
    }
    // Without a version the disk cache could serve another file's bytes: no disk cache.
    if (s->m_options.diskCacheBytes > 0 && (!r.etag.isEmpty() || !r.lastModified.isEmpty())) {
        s->m_disk = DiskBlockCache::at(s->m_options.diskCacheDir, s->m_options.diskCacheBytes);
        s->m_diskKey = DiskBlockCache::versionKey(url, r.etag, r.lastModified, s->m_size,
                                                  s->m_options.blockSize);
    }
    if (s->m_size > 0) {
        std::lock_guard<std::mutex> lock(s->m_mutex);
        s->keep(0, r.body);
        if (s->m_disk) s->m_disk->write(s->m_diskKey, 0, s->m_options.blockSize, r.body);
    }
    return s;
}

qint64 HttpByteSource::blockLength(qint64 index) const {
    const qint64 begin = index * m_options.blockSize;
    return std::min(m_options.blockSize, m_size - begin);
}

void HttpByteSource::keep(qint64 index, const QByteArray& bytes) const {
    if (m_blocks.contains(index)) return;
    m_lru.push_front(index);
    m_blocks.insert(index, {bytes, m_lru.begin()});
    m_cachedBytes += bytes.size();
    while (m_cachedBytes > m_options.memoryCacheBytes && m_lru.size() > 1) {
        const qint64 old = m_lru.back();
        m_lru.pop_back();
        m_cachedBytes -= m_blocks.value(old).first.size();
        m_blocks.remove(old);
    }
}

bool HttpByteSource::sameVersion(const HttpResponse& r, QString* error) const {
    QString what;
    if (r.totalSize != m_size)
        what = QStringLiteral("its size was %1 bytes and is now %2").arg(m_size).arg(r.totalSize);
    else if (!m_etag.isEmpty() && r.etag != m_etag)
        what = QStringLiteral("its ETag was %1 and is now %2")
                   .arg(QString::fromUtf8(m_etag), QString::fromUtf8(r.etag));
    else if (m_etag.isEmpty() && !m_lastModified.isEmpty() && r.lastModified != m_lastModified)
        what = QStringLiteral("its Last-Modified was %1 and is now %2")
                   .arg(QString::fromUtf8(m_lastModified), QString::fromUtf8(r.lastModified));
    if (what.isEmpty()) return true;
    *error = QStringLiteral("%1: the file changed on the server since it was opened (%2); "
                            "open it again")
                 .arg(QUrl(m_url).toDisplayString(QUrl::RemoveUserInfo), what);
    std::lock_guard<std::mutex> lock(m_mutex);
    m_changedError = *error;
    return false;
}

bool HttpByteSource::fetchRun(qint64 first, qint64 count, std::vector<QByteArray>* blocks,
                              QString* error) const {
    blocks->assign(size_t(count), QByteArray());
    std::vector<bool> have(size_t(count), false);
    if (m_disk)
        for (qint64 i = 0; i < count; ++i)
            if (m_disk->read(m_diskKey, first + i, m_options.blockSize, blockLength(first + i),
                             &(*blocks)[size_t(i)])) {
                have[size_t(i)] = true;
                ++m_counters.diskHits;
            }
    qint64 i = 0;
    while (i < count) {
        if (have[size_t(i)]) {
            ++i;
            continue;
        }
        qint64 j = i;
        while (j < count && !have[size_t(j)])
            ++j;
        const qint64 begin = (first + i) * m_options.blockSize;
        const qint64 end = std::min(m_size, (first + j) * m_options.blockSize);
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_changed.wait(lock, [this] { return m_requests < m_options.maxConnections; });
            ++m_requests;
        }
        HttpResponse r;
        const bool ok =
            httpGetRange(m_url, begin, end - begin, m_options, &m_counters, &m_cancel, &r, error);
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            --m_requests;
        }
        m_changed.notify_all();
        if (!ok || !sameVersion(r, error)) return false;
        if (r.body.size() != end - begin) {
            *error = QStringLiteral("%1: %2 bytes arrived for a request of %3 at offset %4")
                         .arg(m_url)
                         .arg(r.body.size())
                         .arg(end - begin)
                         .arg(begin);
            return false;
        }
        for (qint64 k = i; k < j; ++k) {
            const qint64 at = (k - i) * m_options.blockSize;
            QByteArray block = r.body.mid(at, blockLength(first + k));
            if (m_disk) m_disk->write(m_diskKey, first + k, m_options.blockSize, block);
            (*blocks)[size_t(k)] = std::move(block);
        }
        i = j;
    }
    return true;
}

bool HttpByteSource::read(qint64 offset, qint64 size, char* dst, QString* error) const {
    if (offset < 0 || size < 0 || offset > m_size || size > m_size - offset) {
        if (error)
            *error = QStringLiteral("%1: %2 bytes at offset %3 lie past its %4 bytes")
                         .arg(m_url)
                         .arg(size)
                         .arg(offset)
                         .arg(m_size);
        return false;
    }
    if (size == 0) return true;
    const qint64 B = m_options.blockSize;
    const auto copyBlock = [&](qint64 index, const QByteArray& bytes) {
        const qint64 start = index * B;
        const qint64 from = std::max(offset, start);
        const qint64 to = std::min(offset + size, start + qint64(bytes.size()));
        if (to > from)
            std::memcpy(dst + (from - offset), bytes.constData() + (from - start),
                        size_t(to - from));
    };
    std::vector<qint64> pending;
    for (qint64 b = offset / B; b <= (offset + size - 1) / B; ++b)
        pending.push_back(b);
    const qint64 maxRun = std::max<qint64>(1, m_options.maxRequestBytes / B);
    QString err;
    while (!pending.empty()) {
        std::vector<qint64> mine;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            if (!m_changedError.isEmpty()) {
                if (error) *error = m_changedError;
                return false;
            }
            std::vector<qint64> waiting;
            for (qint64 b : pending) {
                auto it = m_blocks.find(b);
                if (it != m_blocks.end()) {
                    copyBlock(b, it->first);
                    m_lru.splice(m_lru.begin(), m_lru, it->second);
                } else if (m_inFlight.contains(b)) {
                    waiting.push_back(b);
                } else {
                    m_inFlight.insert(b);
                    mine.push_back(b);
                }
            }
            pending = std::move(waiting);
            if (mine.empty() && !pending.empty()) {
                m_changed.wait(lock);
                continue;
            }
        }
        bool ok = true;
        for (size_t i = 0; i < mine.size() && ok;) {
            size_t j = i + 1;
            while (j < mine.size() && mine[j] == mine[j - 1] + 1 && qint64(j - i) < maxRun)
                ++j;
            std::vector<QByteArray> blocks;
            ok = fetchRun(mine[i], qint64(j - i), &blocks, &err);
            if (ok) {
                std::lock_guard<std::mutex> lock(m_mutex);
                for (size_t k = i; k < j; ++k) {
                    copyBlock(mine[k], blocks[k - i]);
                    keep(mine[k], blocks[k - i]);
                }
            }
            i = j;
        }
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            for (qint64 b : mine)
                m_inFlight.remove(b);
        }
        m_changed.notify_all();
        if (!ok) {
            if (error) *error = err;
            return false;
        }
    }
    return true;
}

void installHttpOpener() {
    static std::once_flag once;
    std::call_once(once, [] {
        setUrlOpener([](const QString& url, QString* error) -> ByteSourcePtr {
            // One source per URL while it is in use: detection and reading share it.
            static std::mutex mutex;
            static QHash<QString, std::weak_ptr<HttpByteSource>> open;
            std::lock_guard<std::mutex> lock(mutex);
            if (auto known = open.value(url).lock()) return known;
            auto source = HttpByteSource::open(url, HttpOptions::fromEnvironment(), error);
            if (source) open.insert(url, source);
            return source;
        });
    });
}

} // namespace ws
