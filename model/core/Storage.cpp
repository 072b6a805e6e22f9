// Lazy storages with an edit overlay. A file range is checked against the real
// file size before anything is read, so a header cannot make us allocate or read
// what it merely claims.
#include "Storage.h"

#include <atomic>
#include <cstring>

namespace ws {

namespace {
std::atomic<quint64> g_nextUid{1};
}

Storage::Storage(qint64 byteSize, const QString& key)
    : m_uid(g_nextUid++), m_byteSize(byteSize), m_key(key) {}

std::shared_ptr<Storage> Storage::fromFileRange(const QString& filePath, qint64 fileOffset,
                                                qint64 byteSize, const QString& key) {
    auto s = std::make_shared<Storage>(byteSize, key);
    s->m_source = openLocalFile(filePath, &s->m_openError);
    s->m_offset = fileOffset;
    if (!s->m_source && s->m_openError.isEmpty())
        s->m_openError = QStringLiteral("%1: cannot open").arg(filePath);
    return s;
}

std::shared_ptr<Storage> Storage::fromSource(ByteSourcePtr source, qint64 offset, qint64 byteSize,
                                             const QString& key) {
    auto s = std::make_shared<Storage>(byteSize, key);
    s->m_source = std::move(source);
    s->m_offset = offset;
    return s;
}

std::shared_ptr<Storage> Storage::fromBytes(QByteArray bytes, const QString& key) {
    auto s = std::make_shared<Storage>(bytes.size(), key);
    s->m_cache = std::move(bytes);
    s->m_cached = true;
    return s;
}

std::shared_ptr<Storage> Storage::fromLoader(Loader loader, qint64 byteSize, const QString& key) {
    auto s = std::make_shared<Storage>(byteSize, key);
    s->m_loader = std::move(loader);
    return s;
}

qint64 Storage::fileOffset() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_source ? m_offset : -1;
}

QString Storage::filePath() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_source ? m_source->localPath() : QString();
}

ByteSourcePtr Storage::source() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_source;
}

bool Storage::rangeOk(qint64 offset, qint64 size, QString* error) const {
    if (offset >= 0 && size >= 0 && offset <= m_byteSize && size <= m_byteSize - offset)
        return true;
    if (error)
        *error = QStringLiteral("storage %1: range %2+%3 is outside its %4 bytes")
                     .arg(m_key)
                     .arg(offset)
                     .arg(size)
                     .arg(m_byteSize);
    return false;
}

bool Storage::ensureCached(QString* error) const {
    if (m_cached) return true;
    if (!m_loader) {
        if (error) *error = QStringLiteral("storage %1 has no data").arg(m_key);
        return false;
    }
    QByteArray bytes;
    QString err;
    if (!m_loader(bytes, &err)) {
        if (error)
            *error = err.isEmpty() ? QStringLiteral("storage %1 cannot be read").arg(m_key) : err;
        return false;
    }
    if (bytes.size() != m_byteSize) {
        if (error)
            *error = QStringLiteral("storage %1 holds %2 bytes, expected %3")
                         .arg(m_key)
                         .arg(bytes.size())
                         .arg(m_byteSize);
        return false;
    }
    m_cache = std::move(bytes);
    m_cached = true;
    return true;
}

bool Storage::check(QString* error) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_source) {
        if (m_offset < 0 || m_offset > m_source->size() ||
            m_byteSize > m_source->size() - m_offset) {
            if (error)
                *error = QStringLiteral("%1: record %2 needs %3 bytes at offset %4 but the file "
                                        "ends after %5 bytes")
                             .arg(m_source->name(), m_key)
                             .arg(m_byteSize)
                             .arg(m_offset)
                             .arg(m_source->size());
            return false;
        }
        return true;
    }
    if (!m_openError.isEmpty()) {
        if (error) *error = m_openError;
        return false;
    }
    return ensureCached(error);
}

bool Storage::readOriginalBytes(qint64 offset, qint64 size, char* dst, QString* error) const {
    if (!rangeOk(offset, size, error)) return false;
    ByteSourcePtr source;
    qint64 base = -1;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!m_source) {
            if (!m_openError.isEmpty()) {
                if (error) *error = m_openError;
                return false;
            }
            if (!ensureCached(error)) return false;
            std::memcpy(dst, m_cache.constData() + offset, size_t(size));
            return true;
        }
        source = m_source;
        base = m_offset;
    }
    if (base < 0 || base + m_byteSize > source->size()) {
        if (error)
            *error = QStringLiteral("%1: record %2 needs %3 bytes at offset %4 but the file "
                                    "ends after %5 bytes")
                         .arg(source->name(), m_key)
                         .arg(m_byteSize)
                         .arg(base)
                         .arg(source->size());
        return false;
    }
    return source->read(base + offset, size, dst, error);
}

bool Storage::readBytes(qint64 offset, qint64 size, char* dst, QString* error) const {
    if (!rangeOk(offset, size, error)) return false;
    std::shared_lock<std::shared_mutex> lock(m_overlayMutex);
    if (m_overlay.isEmpty() || !m_overlay.covers(offset, size))
        if (!readOriginalBytes(offset, size, dst, error)) return false;
    return m_overlay.apply(offset, size, dst, error);
}

bool Storage::readAll(QByteArray* out, QString* error) const {
    out->resize(qsizetype(m_byteSize));
    return readBytes(0, m_byteSize, out->data(), error);
}

bool Storage::readOriginal(QByteArray* out, QString* error) const {
    out->resize(qsizetype(m_byteSize));
    return readOriginalBytes(0, m_byteSize, out->data(), error);
}

bool Storage::isLoaded() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_cached;
}

bool Storage::writeBytes(qint64 offset, qint64 size, const char* src, QString* error) {
    if (!rangeOk(offset, size, error)) return false;
    std::unique_lock<std::shared_mutex> lock(m_overlayMutex);
    return m_overlay.write(offset, size, src, error);
}

bool Storage::hasEdits() const {
    std::shared_lock<std::shared_mutex> lock(m_overlayMutex);
    return !m_overlay.isEmpty();
}

qint64 Storage::editBytes() const {
    std::shared_lock<std::shared_mutex> lock(m_overlayMutex);
    return m_overlay.bytes();
}

std::shared_ptr<Storage> Storage::withoutEdits() const {
    auto s = std::make_shared<Storage>(m_byteSize, m_key);
    std::lock_guard<std::mutex> lock(m_mutex);
    s->m_source = m_source;
    s->m_offset = m_offset;
    s->m_openError = m_openError;
    s->m_loader = m_loader;
    s->m_cache = m_cache;
    s->m_cached = m_cached;
    return s;
}

void Storage::discardEdits() {
    std::unique_lock<std::shared_mutex> lock(m_overlayMutex);
    m_overlay.clear();
}

void Storage::rebindTo(const Storage& fresh) {
    std::unique_lock<std::shared_mutex> overlayLock(m_overlayMutex);
    std::lock_guard<std::mutex> lock(m_mutex);
    {
        std::lock_guard<std::mutex> freshLock(fresh.m_mutex);
        m_source = fresh.m_source;
        m_offset = fresh.m_offset;
        m_loader = fresh.m_loader;
        m_openError = fresh.m_openError;
        if (!m_source && !m_loader && fresh.m_cached) {
            m_cache = fresh.m_cache;
            m_cached = true;
        } else {
            m_cache = QByteArray();
            m_cached = false;
        }
    }
    m_overlay.clear();
}

Storage::Loader Storage::loader() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_loader) return m_loader;
    if (m_source) {
        const ByteSourcePtr source = m_source;
        const qint64 offset = m_offset, size = m_byteSize;
        const QString key = m_key;
        return [source, offset, size, key](QByteArray& bytes, QString* error) {
            if (offset < 0 || offset > source->size() || size > source->size() - offset) {
                if (error)
                    *error = QStringLiteral("%1: record %2 needs %3 bytes at offset %4 but the "
                                            "file has only %5 bytes")
                                 .arg(source->name(), key)
                                 .arg(size)
                                 .arg(offset)
                                 .arg(source->size());
                return false;
            }
            bytes.resize(qsizetype(size));
            return source->read(offset, size, bytes.data(), error);
        };
    }
    const QByteArray cache = m_cache;
    return [cache](QByteArray& bytes, QString*) {
        bytes = cache;
        return true;
    };
}

void Storage::unload() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_loader) return; // memory storages have nothing else
    m_cache = QByteArray();
    m_cached = false;
}

} // namespace ws
