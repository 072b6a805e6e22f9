// The on-disk block cache: pread/pwrite on two files per remote file version. No
// fsync: a torn or lost write shows up as a CRC mismatch and the block is fetched
// again, so the cache never hands out bytes the server did not send.
#include "DiskBlockCache.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QtEndian>
#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace ws {

namespace {

constexpr quint32 kMarker = 0x57534231; // "WSB1": the entry is written

bool preadAll(int fd, char* dst, qint64 size, qint64 offset) {
    while (size > 0) {
        const ssize_t n = ::pread(fd, dst, size_t(size), off_t(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        dst += n;
        size -= n;
        offset += n;
    }
    return true;
}

bool pwriteAll(int fd, const char* src, qint64 size, qint64 offset) {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, src, size_t(size), off_t(offset));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        src += n;
        size -= n;
        offset += n;
    }
    return true;
}

quint32 crcOf(const QByteArray& bytes) {
    return quint32(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.constData()),
                         uInt(bytes.size())));
}

// Disk space a file takes (a sparse data file holds only what was written).
qint64 allocated(const QString& path) {
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? qint64(st.st_blocks) * 512 : 0;
}

} // namespace

std::shared_ptr<DiskBlockCache> DiskBlockCache::at(const QString& root, qint64 limitBytes) {
    static std::mutex mutex;
    static QHash<QString, std::weak_ptr<DiskBlockCache>> caches;
    std::lock_guard<std::mutex> lock(mutex);
    if (auto known = caches.value(root).lock()) {
        known->setLimit(limitBytes);
        return known;
    }
    auto cache = std::make_shared<DiskBlockCache>(root, limitBytes);
    caches.insert(root, cache);
    return cache;
}

qint64 DiskBlockCache::bytesUnder(const QString& root) {
    return DiskBlockCache(root, 0).totalBytes();
}

bool DiskBlockCache::clear(const QString& root) {
    // Through the open cache when there is one, so that it closes its files first.
    return at(root, -1)->clearAll();
}

void DiskBlockCache::setLimit(qint64 limitBytes) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (limitBytes < 0) return; // -1: keep the limit (clear())
    m_limit = limitBytes;
    trim();
}

bool DiskBlockCache::clearAll() {
    std::lock_guard<std::mutex> lock(m_mutex);
    closeAll();
    bool ok = true;
    const QFileInfoList dirs =
        QDir(m_root).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::NoSort);
    for (const QFileInfo& d : dirs)
        ok = QDir(d.filePath()).removeRecursively() && ok;
    m_total = ok ? 0 : -1;
    return ok;
}

DiskBlockCache::DiskBlockCache(QString root, qint64 limitBytes)
    : m_root(std::move(root)), m_limit(limitBytes) {}

DiskBlockCache::~DiskBlockCache() {
    std::lock_guard<std::mutex> lock(m_mutex);
    closeAll();
}

void DiskBlockCache::closeAll() {
    for (const Files& f : std::as_const(m_open)) {
        if (f.data >= 0) ::close(f.data);
        if (f.index >= 0) ::close(f.index);
    }
    m_open.clear();
}

QString DiskBlockCache::versionKey(const QString& url, const QByteArray& etag,
                                   const QByteArray& lastModified, qint64 size, qint64 blockSize) {
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(QByteArray(url.toUtf8() + '\n' + etag + '\n' + lastModified + '\n' +
                         QByteArray::number(size) + '\n' + QByteArray::number(blockSize)));
    return QString::fromLatin1(h.result().toHex().left(40));
}

DiskBlockCache::Files* DiskBlockCache::files(const QString& key, bool create) {
    auto it = m_open.find(key);
    if (it != m_open.end()) return &it.value();
    const QString dir = m_root + QLatin1Char('/') + key;
    if (!create && !QFileInfo::exists(dir)) return nullptr;
    if (create && !QDir().mkpath(dir)) return nullptr;
    const int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    Files f;
    f.data = ::open(QFile::encodeName(dir + QStringLiteral("/data")).constData(), flags, 0600);
    f.index = ::open(QFile::encodeName(dir + QStringLiteral("/index")).constData(), flags, 0600);
    if (f.data < 0 || f.index < 0) {
        if (f.data >= 0) ::close(f.data);
        if (f.index >= 0) ::close(f.index);
        return nullptr;
    }
    return &m_open.insert(key, f).value();
}

bool DiskBlockCache::read(const QString& key, qint64 index, qint64 blockSize, qint64 expected,
                          QByteArray* out) {
    std::lock_guard<std::mutex> lock(m_mutex);
    Files* f = files(key, false);
    if (!f) return false;
    uchar entry[8];
    if (!preadAll(f->index, reinterpret_cast<char*>(entry), 8, index * 8) ||
        qFromLittleEndian<quint32>(entry) != kMarker)
        return false;
    out->resize(qsizetype(expected));
    if (!preadAll(f->data, out->data(), expected, index * blockSize) ||
        crcOf(*out) != qFromLittleEndian<quint32>(entry + 4)) {
        out->clear();
        return false;
    }
    return true;
}

void DiskBlockCache::write(const QString& key, qint64 index, qint64 blockSize,
                           const QByteArray& bytes) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_limit <= 0 || bytes.size() > m_limit) return;
    Files* f = files(key, true);
    if (!f) return;
    uchar entry[8];
    qToLittleEndian<quint32>(kMarker, entry);
    qToLittleEndian<quint32>(crcOf(bytes), entry + 4);
    if (!pwriteAll(f->data, bytes.constData(), bytes.size(), index * blockSize) ||
        !pwriteAll(f->index, reinterpret_cast<const char*>(entry), 8, index * 8))
        return;
    if (m_total >= 0) m_total += bytes.size();
    trim();
}

qint64 DiskBlockCache::totalBytes() const {
    qint64 total = 0;
    QDirIterator it(m_root, {QStringLiteral("data")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        total += allocated(it.next());
    return total;
}

void DiskBlockCache::trim() {
    if (m_total >= 0 && m_total <= m_limit) return;
    struct Version {
        QString dir;
        QDateTime used;
        qint64 size;
    };
    std::vector<Version> versions;
    qint64 total = 0;
    const QFileInfoList dirs =
        QDir(m_root).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::NoSort);
    for (const QFileInfo& d : dirs) {
        const QString index = d.filePath() + QStringLiteral("/index");
        const qint64 size = allocated(d.filePath() + QStringLiteral("/data"));
        versions.push_back({d.filePath(), QFileInfo(index).lastModified(), size});
        total += size;
    }
    m_total = total;
    if (m_total <= m_limit) return;
    std::sort(versions.begin(), versions.end(),
              [](const Version& a, const Version& b) { return a.used < b.used; });
    closeAll(); // files of deleted versions must not be written any more
    const qint64 goal = m_limit - m_limit / 5; // room for a while before the next scan
    for (const Version& v : versions) {
        if (m_total <= goal) break;
        if (QDir(v.dir).removeRecursively()) m_total -= v.size;
    }
}

} // namespace ws
