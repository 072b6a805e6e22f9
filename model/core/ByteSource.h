// Where a storage's bytes come from: random-access, read-only sources, read with
// pread and never all at once. A local file, bytes in memory, or (remote/) a URL
// read with HTTP range requests: readers and views see the same interface.
#pragma once

#include <QByteArray>
#include <QString>
#include <functional>
#include <memory>

namespace ws {

/// Read-only bytes read by range. Implementations are thread-safe.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// The file path or URL, for messages.
    virtual QString name() const = 0;
    /// Size in bytes.
    virtual qint64 size() const = 0;
    /// Reads exactly \a size bytes at \a offset into \a dst; false with \a error (naming
    /// the source and the range) when they are not all there or cannot be read.
    virtual bool read(qint64 offset, qint64 size, char* dst, QString* error) const = 0;
    /// The local file these bytes are, or empty (memory, remote).
    virtual QString localPath() const { return QString(); }
    /// True when reads cross a network (each read is a transfer): views then read only
    /// what they show and leave whole-tensor passes to the user's request.
    virtual bool isRemote() const { return false; }
};

using ByteSourcePtr = std::shared_ptr<const ByteSource>;

/// The file at \a path, opened once and shared by every storage that lies in it (one
/// descriptor per file, not per tensor). A file replaced since (a save renamed a new
/// file into place) is opened again. Null with \a error when it cannot be opened.
ByteSourcePtr openLocalFile(const QString& path, QString* error);
/// Bytes in memory, named \a name in messages.
ByteSourcePtr memoryByteSource(QByteArray bytes, const QString& name);

/// True when \a name is an http:// or https:// URL rather than a file path.
bool isUrl(const QString& name);
/// Opens a URL as a ByteSource; null with \a error when it cannot be opened.
using UrlOpener = std::function<ByteSourcePtr(const QString& url, QString* error)>;
/// Installs the opener of URLs (model/net provides it; core knows no network code).
void setUrlOpener(UrlOpener opener);
/// A local file (openLocalFile) or a URL (through the installed opener): readers that
/// read through this open files and URLs alike.
ByteSourcePtr openByteSource(const QString& pathOrUrl, QString* error);
/// \a name resolved against \a base: a URL relative to a URL, a path relative to the
/// folder of a path (a shard named by an index).
QString resolveRelative(const QString& base, const QString& name);

} // namespace ws
