// A block of raw tensor bytes that is read from its file only the first time
// somebody needs it; several tensors may share one storage (views, tied weights).
#pragma once

#include <QByteArray>
#include <QString>
#include <functional>
#include <mutex>

namespace ws {

/// Raw bytes of one storage, little-endian, loaded lazily.
class Storage {
public:
    /// Produces the bytes; returns false and sets \a error on failure.
    using Loader = std::function<bool(QByteArray& bytes, QString* error)>;

    /// Bytes that are \a byteSize long at \a fileOffset of \a filePath.
    static std::shared_ptr<Storage> fromFileRange(const QString& filePath, qint64 fileOffset,
                                                  qint64 byteSize, const QString& key);
    /// Bytes already in memory.
    static std::shared_ptr<Storage> fromBytes(QByteArray bytes, const QString& key);
    /// Bytes made by \a loader (decompression, HDF5, ...); \a byteSize is what it must yield.
    static std::shared_ptr<Storage> fromLoader(Loader loader, qint64 byteSize, const QString& key);

    /// The record's name in its file ("data/0", a dataset path, ...).
    const QString& key() const { return m_key; }
    qint64 byteSize() const { return m_byteSize; }
    /// Where the bytes start in the file, or -1 when they do not lie there as-is.
    qint64 fileOffset() const { return m_fileOffset; }
    bool isLoaded() const;
    /// Reads the bytes if that has not happened yet. Thread-safe.
    bool load(QString* error);
    /// The bytes; valid only after load() succeeded.
    const char* data() const { return m_bytes.constData(); }
    char* mutableData() { return m_bytes.data(); }
    const QByteArray& bytes() const { return m_bytes; }
    /// Reads the bytes as the file holds them now, into \a out, leaving the loaded
    /// (possibly edited) bytes alone. Used to restore originals and to diff.
    bool readOriginal(QByteArray* out, QString* error) const;
    /// Points the storage at a new place in a (re-)written file, keeping loaded bytes.
    void rebind(Loader loader, qint64 fileOffset, const QString& filePath = QString());
    /// The file a file-range storage lies in as-is, else empty.
    QString filePath() const;
    /// Copies \a size bytes at \a offset of the storage to \a dst: from the loaded
    /// bytes, or straight from the file for an unloaded file-range storage (without
    /// loading it, so that a view needs no second copy), else by loading it.
    bool readBytes(qint64 offset, qint64 size, char* dst, QString* error);
    Loader loader() const;
    /// Drops the loaded bytes (only if nothing was changed) to free memory.
    void unload();
    /// Set by edits; an edited storage is never unloaded.
    bool isDirty() const { return m_dirty; }
    void setDirty(bool dirty) { m_dirty = dirty; }

    Storage(Loader loader, qint64 byteSize, qint64 fileOffset, const QString& key);

private:
    Loader m_loader;
    qint64 m_byteSize = 0;
    qint64 m_fileOffset = -1;
    QString m_filePath;
    QString m_key;
    QByteArray m_bytes;
    bool m_loaded = false;
    bool m_dirty = false;
    mutable std::mutex m_mutex;
};

} // namespace ws
