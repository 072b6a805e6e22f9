// Fetched blocks of remote files kept on disk (under the user's cache folder) so
// that reopening a URL reads what was already fetched from disk. One folder per
// version of a remote file (URL, ETag/Last-Modified, size, block size) holding a
// sparse "data" file at the remote file's offsets and an "index" of 8 bytes per
// block (a marker and the block's CRC-32): two files per version, not one per
// block (thousands of small files made a cold read ten times slower), and a block
// whose bytes do not match its CRC is fetched again. Past the size limit, the
// versions used longest ago are deleted whole.
#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>
#include <memory>
#include <mutex>

namespace ws {

class DiskBlockCache {
public:
    /// The cache under \a root holding at most about \a limitBytes (shared per root; a
    /// cache already open takes the new limit).
    static std::shared_ptr<DiskBlockCache> at(const QString& root, qint64 limitBytes);
    /// Bytes the cache under \a root occupies on disk (0 when there is none).
    static qint64 bytesUnder(const QString& root);
    /// Deletes every block kept under \a root (Preferences ▸ Clear); open sources fetch
    /// again what they need. False when something could not be deleted.
    static bool clear(const QString& root);
    /// The folder name for one version of a remote file.
    static QString versionKey(const QString& url, const QByteArray& etag,
                              const QByteArray& lastModified, qint64 size, qint64 blockSize);

    /// Block \a index (of \a blockSize bytes) of version \a key into \a out when it is
    /// there, \a expected bytes long and intact.
    bool read(const QString& key, qint64 index, qint64 blockSize, qint64 expected, QByteArray* out);
    /// Stores a block: its bytes first, then its index entry.
    void write(const QString& key, qint64 index, qint64 blockSize, const QByteArray& bytes);
    /// Bytes the cache's data files occupy on disk now.
    qint64 totalBytes() const;

    /// Keeps at most about \a limitBytes from now on (deleting the oldest versions).
    void setLimit(qint64 limitBytes);
    /// Deletes every version.
    bool clearAll();

    DiskBlockCache(QString root, qint64 limitBytes);
    ~DiskBlockCache();

private:
    struct Files {
        int data = -1;
        int index = -1;
    };
    /// The open files of \a key (m_mutex held); created with \a create.
    Files* files(const QString& key, bool create);
    void closeAll(); ///< m_mutex held
    void trim();     ///< m_mutex held

    QString m_root;
    qint64 m_limit;
    mutable std::mutex m_mutex;
    QHash<QString, Files> m_open;
    qint64 m_total = -1; ///< -1 until the folder was scanned
};

} // namespace ws
