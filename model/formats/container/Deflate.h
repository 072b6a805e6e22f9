// Raw deflate streams (zip method 8) read lazily from a file range and written
// from memory, through zlib.
#pragma once

#include <QByteArray>
#include <QString>

namespace ws {

/// Inflates the raw deflate stream of \a compressedSize bytes at \a offset of
/// \a path, producing at most \a limit bytes into \a out. \a complete is set when
/// the stream ended within the limit. False with \a error on a corrupt stream or
/// a read failure.
bool inflateFileRange(const QString& path, qint64 offset, qint64 compressedSize, qint64 limit,
                      QByteArray* out, bool* complete, QString* error);

/// Deflates \a in as a raw stream (zlib's default level, as Python's zipfile).
bool deflateBytes(const QByteArray& in, QByteArray* out, QString* error);

} // namespace ws
