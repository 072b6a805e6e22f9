// Local files are read with pread on one descriptor per file: no seek state, so
// tile readers on several threads share it, and nothing is mapped into our address
// space (file pages stay in the page cache, not in the process's resident memory).
#include "ByteSource.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QUrl>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace ws {

namespace {

class LocalFile : public ByteSource {
public:
    LocalFile(int fd, QString path, qint64 size, dev_t dev, ino_t ino)
        : m_fd(fd), m_path(std::move(path)), m_size(size), m_dev(dev), m_ino(ino) {}
    ~LocalFile() override { ::close(m_fd); }

    QString name() const override { return m_path; }
    /// The size now (another program may have truncated or grown the file).
    qint64 size() const override {
        struct stat st {};
        return ::fstat(m_fd, &st) == 0 ? qint64(st.st_size) : m_size;
    }
    QString localPath() const override { return m_path; }
    bool sameFile(const struct stat& st) const { return st.st_dev == m_dev && st.st_ino == m_ino; }

    bool read(qint64 offset, qint64 size, char* dst, QString* error) const override {
        if (offset < 0 || size < 0) {
            if (error)
                *error = QStringLiteral("%1: bad range %2+%3").arg(m_path).arg(offset).arg(size);
            return false;
        }
        while (size > 0) {
            const ssize_t got = ::pread(m_fd, dst, size_t(size), off_t(offset));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                if (error)
                    *error = got == 0 ? QStringLiteral("%1: the file ends at offset %2 (it was "
                                                       "truncated after it was opened)")
                                            .arg(m_path)
                                            .arg(offset)
                                      : QStringLiteral("%1: cannot read at offset %2: %3")
                                            .arg(m_path)
                                            .arg(offset)
                                            .arg(QString::fromLocal8Bit(std::strerror(errno)));
                return false;
            }
            dst += got;
            offset += got;
            size -= got;
        }
        return true;
    }

private:
    int m_fd;
    QString m_path;
    qint64 m_size;
    dev_t m_dev;
    ino_t m_ino;
};

class MemoryBytes : public ByteSource {
public:
    MemoryBytes(QByteArray bytes, QString name)
        : m_bytes(std::move(bytes)), m_name(std::move(name)) {}
    QString name() const override { return m_name; }
    qint64 size() const override { return m_bytes.size(); }
    bool read(qint64 offset, qint64 size, char* dst, QString* error) const override {
        if (offset < 0 || size < 0 || offset > m_bytes.size() || size > m_bytes.size() - offset) {
            if (error)
                *error = QStringLiteral("%1: %2 bytes at offset %3 lie past its %4 bytes")
                             .arg(m_name)
                             .arg(size)
                             .arg(offset)
                             .arg(m_bytes.size());
            return false;
        }
        std::memcpy(dst, m_bytes.constData() + offset, size_t(size));
        return true;
    }

private:
    QByteArray m_bytes;
    QString m_name;
};

} // namespace

ByteSourcePtr openLocalFile(const QString& path, QString* error) {
    static std::mutex mutex;
    static QHash<QString, std::weak_ptr<const LocalFile>> open;
    const QString key = QFileInfo(path).absoluteFilePath();
    const QByteArray native = QFile::encodeName(key);
    std::lock_guard<std::mutex> lock(mutex);
    struct stat st {};
    if (::stat(native.constData(), &st) != 0) {
        if (error)
            *error = QStringLiteral("%1: cannot open: %2")
                         .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        return nullptr;
    }
    if (auto known = open.value(key).lock(); known && known->sameFile(st)) return known;
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        if (error)
            *error = QStringLiteral("%1: cannot open: %2")
                         .arg(path, QString::fromLocal8Bit(std::strerror(errno)));
        if (fd >= 0) ::close(fd);
        return nullptr;
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        if (error) *error = QStringLiteral("%1: is a folder, not a file").arg(path);
        return nullptr;
    }
    auto file =
        std::make_shared<const LocalFile>(fd, path, qint64(st.st_size), st.st_dev, st.st_ino);
    open.insert(key, file);
    return file;
}

ByteSourcePtr memoryByteSource(QByteArray bytes, const QString& name) {
    return std::make_shared<const MemoryBytes>(std::move(bytes), name);
}

namespace {
std::mutex g_openerMutex;
UrlOpener g_urlOpener;
} // namespace

bool isUrl(const QString& name) {
    return name.startsWith(QLatin1String("http://"), Qt::CaseInsensitive) ||
           name.startsWith(QLatin1String("https://"), Qt::CaseInsensitive);
}

void setUrlOpener(UrlOpener opener) {
    std::lock_guard<std::mutex> lock(g_openerMutex);
    g_urlOpener = std::move(opener);
}

ByteSourcePtr openByteSource(const QString& pathOrUrl, QString* error) {
    if (!isUrl(pathOrUrl)) return openLocalFile(pathOrUrl, error);
    UrlOpener opener;
    {
        std::lock_guard<std::mutex> lock(g_openerMutex);
        opener = g_urlOpener;
    }
    if (!opener) {
        if (error) *error = QStringLiteral("%1: this program cannot open URLs").arg(pathOrUrl);
        return nullptr;
    }
    return opener(pathOrUrl, error);
}

QString resolveRelative(const QString& base, const QString& name) {
    if (isUrl(base)) {
        QUrl relative;
        relative.setPath(name); // a shard named "a#b.safetensors" is a path, not a fragment
        return QUrl(base).resolved(relative).toString();
    }
    return QFileInfo(base).absoluteDir().filePath(name);
}

} // namespace ws
