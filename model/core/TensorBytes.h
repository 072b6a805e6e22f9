// Streaming a tensor's or a file range's bytes to a writer: shared by the
// format writers, which copy untouched data and write edited data.
#pragma once

#include "Tensor.h"

#include <QIODevice>
#include <QString>

namespace ws {

/// Copies \a size bytes at \a offset of file \a path to \a out in chunks.
bool copyFileRange(const QString& path, qint64 offset, qint64 size, QIODevice* out, QString* error);
/// Writes \a t's elements in C order in its own dtype (views gathered, little-endian).
/// Loads the storage if needed and unloads it again if it was not loaded before.
bool writeTensorBytes(const Tensor& t, QIODevice* out, QString* error);
/// Writes all of \a bytes, or sets \a error naming \a what.
bool writeAll(QIODevice* out, const char* data, qint64 size, const QString& what, QString* error);

} // namespace ws
