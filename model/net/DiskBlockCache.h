// Fetched blocks of remote files kept on disk (under the user's cache folder) so
// that reopening a URL reads what was already fetched from disk. One folder per
// version of a remote file (URL, ETag/Last-Modified and size), one file per block;
// when the folder tree passes its size limit the oldest blocks are deleted.
#pragma once

#include <QByteArray>
#include <QString>
#include <memory>
#include <mutex>

namespace ws {

class DiskBlockCache {
public:
    /// The cache under \a root holding at most \a limitBytes (shared per root).
    static std::shared_ptr<DiskBlockCache> at(const QString& root, qint64 limitBytes);
    /// The folder name for one version of a remote file.
    static QString versionKey(const QString& url, const QByteArray& etag,
                              const QByteArray& lastModified, qint64 size);

    /// Block \a index of version \a key into \a out when it is there with exactly
    /// \a expected bytes.
    bool read(const QString& key, qint64 index, qint64 expected, QByteArray* out) const;
    /// Stores a block (atomically: a reader never sees half a block).
    void write(const QString& key, qint64 index, const QByteArray& bytes);
    /// Bytes the cache holds now.
    qint64 totalBytes() const;

    DiskBlockCache(QString root, qint64 limitBytes);

private:
    QString blockPath(const QString& key, qint64 index) const;
    void trim(); ///< m_mutex held

    QString m_root;
    qint64 m_limit;
    mutable std::mutex m_mutex;
    qint64 m_total = -1; ///< -1 until the folder was scanned
};

} // namespace ws
