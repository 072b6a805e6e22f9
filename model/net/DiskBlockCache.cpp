// The on-disk block cache: plain files, written to a temporary name and renamed, so
// that two programs sharing the cache never read a half-written block.
#include "DiskBlockCache.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSaveFile>
#include <algorithm>
#include <vector>

namespace ws {

std::shared_ptr<DiskBlockCache> DiskBlockCache::at(const QString& root, qint64 limitBytes) {
    static std::mutex mutex;
    static QHash<QString, std::weak_ptr<DiskBlockCache>> caches;
    std::lock_guard<std::mutex> lock(mutex);
    if (auto known = caches.value(root).lock()) return known;
    auto cache = std::make_shared<DiskBlockCache>(root, limitBytes);
    caches.insert(root, cache);
    return cache;
}

DiskBlockCache::DiskBlockCache(QString root, qint64 limitBytes)
    : m_root(std::move(root)), m_limit(limitBytes) {}

QString DiskBlockCache::versionKey(const QString& url, const QByteArray& etag,
                                   const QByteArray& lastModified, qint64 size) {
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(QByteArray(url.toUtf8() + '\n' + etag + '\n' + lastModified + '\n' +
                         QByteArray::number(size)));
    return QString::fromLatin1(h.result().toHex().left(40));
}

QString DiskBlockCache::blockPath(const QString& key, qint64 index) const {
    return QStringLiteral("%1/%2/%3.block").arg(m_root, key).arg(index);
}

bool DiskBlockCache::read(const QString& key, qint64 index, qint64 expected,
                          QByteArray* out) const {
    QFile f(blockPath(key, index));
    if (!f.open(QIODevice::ReadOnly) || f.size() != expected) return false;
    *out = f.readAll();
    return out->size() == expected;
}

void DiskBlockCache::write(const QString& key, qint64 index, const QByteArray& bytes) {
    if (m_limit <= 0 || bytes.size() > m_limit) return;
    const QString path = blockPath(key, index);
    if (!QDir().mkpath(QFileInfo(path).absolutePath())) return;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit()) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_total >= 0) m_total += bytes.size();
    trim();
}

qint64 DiskBlockCache::totalBytes() const {
    qint64 total = 0;
    QDirIterator it(m_root, {QStringLiteral("*.block")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
    }
    return total;
}

void DiskBlockCache::trim() {
    if (m_total >= 0 && m_total <= m_limit) return;
    struct Entry {
        QString path;
        QDateTime modified;
        qint64 size;
    };
    std::vector<Entry> entries;
    qint64 total = 0;
    QDirIterator it(m_root, {QStringLiteral("*.block")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        entries.push_back({info.filePath(), info.lastModified(), info.size()});
        total += info.size();
    }
    m_total = total;
    if (m_total <= m_limit) return;
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.modified < b.modified; });
    const qint64 goal = m_limit - m_limit / 5; // room for a while before the next scan
    for (const Entry& e : entries) {
        if (m_total <= goal) break;
        if (QFile::remove(e.path)) m_total -= e.size;
    }
}

} // namespace ws
