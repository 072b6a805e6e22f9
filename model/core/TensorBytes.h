// Streaming a tensor's or a file range's bytes to a writer: shared by the
// format writers, which copy untouched data and write edited data.
#pragma once

#include "Tensor.h"

#include <QIODevice>
#include <QString>
#include <functional>

namespace ws {

/// Copies \a size bytes at \a offset of file \a path to \a out in chunks.
bool copyFileRange(const QString& path, qint64 offset, qint64 size, QIODevice* out, QString* error);
/// Writes \a t's elements in C order in its own dtype (views gathered, little-endian).
/// Loads the storage if needed and unloads it again if it was not loaded before.
bool writeTensorBytes(const Tensor& t, QIODevice* out, QString* error);
/// Calls \a sink with the bytes of \a s as they are now (file plus edits), in order, a
/// few MB at a time: writers stream an edited storage instead of copying it whole.
bool streamStorage(const Storage& s,
                   const std::function<bool(const char* data, qint64 size, QString* error)>& sink,
                   QString* error);
/// Writes \a s's current bytes to \a out.
bool writeStorageBytes(const Storage& s, QIODevice* out, QString* error);
/// Writes all of \a bytes, or sets \a error naming \a what.
bool writeAll(QIODevice* out, const char* data, qint64 size, const QString& what, QString* error);

} // namespace ws
