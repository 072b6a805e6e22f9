// The bytes of one storage as the file holds them, plus the edits made to them.
// Nothing is read until somebody asks for a range; edits go to an overlay of
// changed runs, so viewing or editing a 2 GB tensor never copies it whole.
// Several tensors may share one storage (views, tied weights).
#pragma once

#include "ByteOverlay.h"
#include "ByteSource.h"

#include <QByteArray>
#include <QString>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace ws {

/// Raw bytes of one storage, little-endian: original bytes from a file range, from
/// memory or from a loader, and an overlay of edits on top. Thread-safe.
class Storage {
public:
    /// Produces the original bytes whole (decompression, byte swapping, HDF5, ...).
    using Loader = std::function<bool(QByteArray& bytes, QString* error)>;

    /// Bytes that are \a byteSize long at \a fileOffset of the local file \a filePath.
    static std::shared_ptr<Storage> fromFileRange(const QString& filePath, qint64 fileOffset,
                                                  qint64 byteSize, const QString& key);
    /// Bytes at \a offset of \a source (a local file, memory, a URL).
    static std::shared_ptr<Storage> fromSource(ByteSourcePtr source, qint64 offset, qint64 byteSize,
                                               const QString& key);
    /// Bytes already in memory.
    static std::shared_ptr<Storage> fromBytes(QByteArray bytes, const QString& key);
    /// Bytes made by \a loader when first needed, kept while the storage lives (until
    /// unload()); \a byteSize is what it must yield.
    static std::shared_ptr<Storage> fromLoader(Loader loader, qint64 byteSize, const QString& key);

    /// A number no other storage of this process has (keys cached tiles).
    quint64 uid() const { return m_uid; }
    /// The record's name in its file ("data/0", a dataset path, ...).
    const QString& key() const { return m_key; }
    qint64 byteSize() const { return m_byteSize; }
    /// Where the bytes start in source(), or -1 when they do not lie there as-is.
    qint64 fileOffset() const;
    /// The local file the bytes lie in as-is, else empty.
    QString filePath() const;
    /// The source the bytes lie in as-is (null for loader and memory storages).
    ByteSourcePtr source() const;

    /// Checks that the bytes can be read (the range lies in the file; a loader runs
    /// and yields byteSize() bytes). False with \a error naming the problem.
    bool check(QString* error) const;
    /// Copies bytes [offset, offset + size) as they are now (file + edits) to \a dst.
    bool readBytes(qint64 offset, qint64 size, char* dst, QString* error) const;
    /// The same without the edits: as the file holds them.
    bool readOriginalBytes(qint64 offset, qint64 size, char* dst, QString* error) const;
    /// Every byte, as now / as in the file (for small storages and writers).
    bool readAll(QByteArray* out, QString* error) const;
    bool readOriginal(QByteArray* out, QString* error) const;
    /// True when the original bytes are held in memory (memory and loaded loader
    /// storages); a file range never is.
    bool isLoaded() const;

    /// Changes bytes [offset, offset + size) to \a src (in the overlay).
    bool writeBytes(qint64 offset, qint64 size, const char* src, QString* error);
    /// True when the overlay holds changed bytes.
    bool hasEdits() const;
    /// Bytes the overlay holds (memory and temporary files).
    qint64 editBytes() const;
    /// A storage reading the same original bytes (file, loader) without the edits.
    std::shared_ptr<Storage> withoutEdits() const;
    /// Forgets every edit: the bytes are the file's again.
    void discardEdits();
    /// Set by the document while applied edits differ from the file: writers write a
    /// dirty storage's current bytes and copy a clean one from its file.
    bool isDirty() const { return m_dirty; }
    void setDirty(bool dirty) { m_dirty = dirty; }

    /// After a save: the bytes are read from \a fresh's place (the new file) from now
    /// on, and the edits, now in that file, are dropped.
    void rebindTo(const Storage& fresh);
    /// A loader that yields the original bytes whole (for wrapping in another loader).
    Loader loader() const;
    /// Drops a loader storage's cached original bytes to free memory.
    void unload();

    Storage(qint64 byteSize, const QString& key);

private:
    bool rangeOk(qint64 offset, qint64 size, QString* error) const;
    /// The original bytes of a loader storage, loaded on first use (m_mutex held).
    bool ensureCached(QString* error) const;

    quint64 m_uid;
    qint64 m_byteSize = 0;
    QString m_key;
    mutable std::mutex m_mutex; ///< guards the place (source, offset, loader) and cache
    ByteSourcePtr m_source;
    qint64 m_offset = -1;
    QString m_openError; ///< why the file could not be opened, reported on first read
    Loader m_loader;
    mutable QByteArray m_cache;
    mutable bool m_cached = false;
    mutable std::shared_mutex m_overlayMutex;
    ByteOverlay m_overlay;
    bool m_dirty = false;
};

} // namespace ws
