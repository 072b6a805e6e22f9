// Atomic saves: every file we write goes to a temporary file in the destination's
// folder, is flushed and checked, and only then renamed over the destination.
#pragma once

#include <QString>

class QSaveFile;

namespace ws {

/// Flushes \a out and checks that every byte written reached the file: QSaveFile
/// buffers, so a failed last write (disk full, file size limit) shows only here,
/// and commit() would rename the short file into place. False with \a error naming
/// \a path; the temporary file is discarded then.
bool flushSaveFile(QSaveFile& out, const QString& path, QString* error);
/// flushSaveFile(), then the rename into place.
bool commitSaveFile(QSaveFile& out, const QString& path, QString* error);

} // namespace ws
