// Lazy storage loading: a file range is checked against the real file size
// before anything is allocated, so a header cannot make us allocate what it claims.
#include "Storage.h"

#include "Parallel.h"

#include <QFile>
#include <QFileInfo>
#include <cstring>

namespace ws {

Storage::Storage(Loader loader, qint64 byteSize, qint64 fileOffset, const QString& key)
    : m_loader(std::move(loader)), m_byteSize(byteSize), m_fileOffset(fileOffset), m_key(key) {}

std::shared_ptr<Storage> Storage::fromFileRange(const QString& filePath, qint64 fileOffset,
                                                qint64 byteSize, const QString& key) {
    auto loader = [filePath, fileOffset, byteSize, key](QByteArray& bytes, QString* error) {
        QFile file(filePath);
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("%1: cannot open: %2").arg(filePath, file.errorString());
            return false;
        }
        if (fileOffset < 0 || byteSize < 0 || fileOffset > file.size() ||
            byteSize > file.size() - fileOffset) {
            *error = QStringLiteral("%1: record %2 needs %3 bytes at offset %4 but the file "
                                    "has only %5 bytes")
                         .arg(filePath, key)
                         .arg(byteSize)
                         .arg(fileOffset)
                         .arg(file.size());
            return false;
        }
        if (!file.seek(fileOffset)) {
            *error = QStringLiteral("%1: cannot seek to record %2").arg(filePath, key);
            return false;
        }
        bytes.resize(byteSize);
        adviseHugePages(bytes.data(), byteSize);
        qint64 got = 0;
        while (got < byteSize) {
            qint64 n = file.read(bytes.data() + got, byteSize - got);
            if (n <= 0) break;
            got += n;
        }
        if (got != byteSize) {
            bytes.clear();
            *error = QStringLiteral("%1: record %2 is truncated (%3 of %4 bytes)")
                         .arg(filePath, key)
                         .arg(got)
                         .arg(byteSize);
            return false;
        }
        return true;
    };
    auto storage = std::make_shared<Storage>(loader, byteSize, fileOffset, key);
    storage->m_filePath = filePath;
    return storage;
}

std::shared_ptr<Storage> Storage::fromBytes(QByteArray bytes, const QString& key) {
    qint64 size = bytes.size();
    auto s = std::make_shared<Storage>(Loader(), size, -1, key);
    s->m_bytes = std::move(bytes);
    s->m_loaded = true;
    return s;
}

std::shared_ptr<Storage> Storage::fromLoader(Loader loader, qint64 byteSize, const QString& key) {
    return std::make_shared<Storage>(std::move(loader), byteSize, -1, key);
}

bool Storage::isLoaded() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_loaded;
}

bool Storage::load(QString* error) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_loaded) return true;
    QString dummy;
    QString* err = error ? error : &dummy;
    if (!m_loader) {
        *err = QStringLiteral("storage %1 has no data").arg(m_key);
        return false;
    }
    QByteArray bytes;
    if (!m_loader(bytes, err)) return false;
    if (bytes.size() != m_byteSize) {
        *err = QStringLiteral("storage %1 holds %2 bytes, expected %3")
                   .arg(m_key)
                   .arg(bytes.size())
                   .arg(m_byteSize);
        return false;
    }
    m_bytes = std::move(bytes);
    m_loaded = true;
    return true;
}

bool Storage::readOriginal(QByteArray* out, QString* error) const {
    Loader loader;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        loader = m_loader;
        if (!loader && !m_dirty) {
            *out = m_bytes;
            return true;
        }
    }
    QString dummy;
    QString* err = error ? error : &dummy;
    if (!loader) {
        *err = QStringLiteral("storage %1 has no file to restore from").arg(m_key);
        return false;
    }
    if (!loader(*out, err)) return false;
    if (out->size() != m_byteSize) {
        *err = QStringLiteral("storage %1 changed size in the file").arg(m_key);
        return false;
    }
    return true;
}

void Storage::rebind(Loader loader, qint64 fileOffset, const QString& filePath) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_loader = std::move(loader);
    m_fileOffset = fileOffset;
    m_filePath = filePath;
}

QString Storage::filePath() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_filePath;
}

bool Storage::readBytes(qint64 offset, qint64 size, char* dst, QString* error) {
    QString dummy;
    QString* err = error ? error : &dummy;
    if (offset < 0 || size < 0 || offset > m_byteSize || size > m_byteSize - offset) {
        *err = QStringLiteral("storage %1: range %2+%3 is outside its %4 bytes")
                   .arg(m_key)
                   .arg(offset)
                   .arg(size)
                   .arg(m_byteSize);
        return false;
    }
    QString path;
    qint64 base = -1;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_loaded) {
            std::memcpy(dst, m_bytes.constData() + offset, size_t(size));
            return true;
        }
        path = m_filePath;
        base = m_fileOffset;
    }
    if (path.isEmpty() || base < 0) {
        if (!load(err)) return false;
        std::memcpy(dst, m_bytes.constData() + offset, size_t(size));
        return true;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *err = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
        return false;
    }
    if (base + m_byteSize > file.size() || !file.seek(base + offset)) {
        *err = QStringLiteral("%1: record %2 needs %3 bytes at offset %4 but the file has only "
                              "%5 bytes")
                   .arg(path, m_key)
                   .arg(m_byteSize)
                   .arg(base)
                   .arg(file.size());
        return false;
    }
    qint64 got = 0;
    while (got < size) {
        const qint64 n = file.read(dst + got, size - got);
        if (n <= 0) break;
        got += n;
    }
    if (got != size) {
        *err = QStringLiteral("%1: record %2 is truncated").arg(path, m_key);
        return false;
    }
    return true;
}

Storage::Loader Storage::loader() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_loader;
}

void Storage::unload() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_dirty || !m_loader) return;
    m_bytes = QByteArray();
    m_loaded = false;
}

} // namespace ws
