// Atomic saves: every file we write goes to a temporary file in the destination's
// folder, is flushed and checked, and only then renamed over the destination.
// QSaveFile does this for writers that write through a QIODevice; AtomicTempFile
// does it for libraries that open files by name (libhdf5). Before any work a save
// checks that it may write there; right before the rename it checks that the
// files it copies unedited tensors from were not rewritten meanwhile.
#pragma once

#include <QSet>
#include <QString>
#include <QStringList>

class QIODevice;
class QSaveFile;

namespace ws {

class WeightFile;

/// Refuses a save to \a path before any work when permissions forbid it: the file
/// exists and is read-only, or its folder is (the temporary file is made there).
/// False with \a error naming \a path and the reason.
bool checkCanSave(const QString& path, QString* error);

/// Called right before a save renames its result into place: false with \a error
/// when a file that \a source's tensors are read from (the file itself, shards,
/// external data) changed on disk since it was opened, i.e. another program
/// rewrote it while we saved, so the copied bytes may be a mix. Files in \a skip
/// are not checked (the ones this save has already put in place itself).
bool sourceUnchanged(const WeightFile& source, const QString& path, QString* error,
                     const QStringList& skip = {});

/// Defence in depth: right before the rename that completes a save, the written
/// temporary file is read back with our own reader and compared with the document,
/// so that a writer bug becomes an error message and an intact original. The
/// document's side (model/edit/SaveReadBack) implements this; a save carries it
/// on the WeightFile it writes (WeightFile::saveCheck).
class SaveCheck {
public:
    virtual ~SaveCheck() = default;
    /// Reads \a readPath (the temporary file that becomes \a target; same folder, so
    /// relative references resolve) and compares it. \a part: one of several files
    /// written together (a shard); it then holds some of the tensors, and their
    /// names are added to \a seen. False with \a error saying what differs.
    virtual bool check(const QString& readPath, const QString& target, bool part,
                       QSet<QString>* seen, QString* error) const = 0;
    /// After the parts: every edited tensor was in one of them.
    virtual bool complete(const QSet<QString>& seen, QString* error) const = 0;
};

/// Runs \a source's SaveCheck, if it has one, on the temporary file open as \a fd (a
/// QSaveFile's, which may have no name yet): it is read through a symbolic link
/// ".wsverify-XXXXXX-NAME" beside \a target, removed afterwards.
bool readBackBeforeRename(const WeightFile* source, int fd, const QString& target, bool part,
                          QSet<QString>* seen, QString* error);

/// "PATH: cannot save: WHY; the file was not changed", for a writer's message \a why
/// (which may name \a path itself, or only a record or tensor inside it).
QString saveFailure(const QString& path, const QString& why);
/// Why writing to \a out failed: its error string, or when the device has none
/// (QSaveFile loses errno on a failed buffered write) a guess naming disk space.
QString writeFailureReason(const QIODevice& out);

/// Flushes \a out and checks that every byte written reached the file: QSaveFile
/// buffers, so a failed last write (disk full, file size limit) shows only here,
/// and commit() would rename the short file into place. False with \a error naming
/// \a path; the temporary file is discarded then.
bool flushSaveFile(QSaveFile& out, const QString& path, QString* error);
/// Syncs \a out's temporary file to disk. QSaveFile::commit() syncs too, right
/// before it renames; syncing first lets sourceUnchanged() run after the sync (which
/// may take seconds), right before the rename. On failure it is discarded.
bool syncSaveFile(QSaveFile& out, const QString& path, QString* error);
/// flushSaveFile(), syncSaveFile(), then (when \a source is given) sourceUnchanged(),
/// then the rename into place. On failure the temporary file is discarded.
/// When \a source has a SaveCheck and \a readBack is true, the file is read back
/// and compared (readBackBeforeRename) right before the rename. Files that are not
/// weight files of the source's format (ONNX external data) pass false.
bool commitSaveFile(QSaveFile& out, const QString& path, QString* error,
                    const WeightFile* source = nullptr, const QStringList& skip = {},
                    bool readBack = true);

/// fsyncs the folder holding \a path, so that a rename into it survives a power cut.
bool syncDirectoryOf(const QString& path, QString* error);

/// QSaveFile's temporary file has no name until it is renamed into place (Linux
/// O_TMPFILE), so a killed save leaves nothing. AtomicTempFile's must have a name:
/// ".NAME.wstmp-XXXXXX" beside the target NAME, locked while in use (an OFD lock,
/// which dies with its process). This removes those of \a target whose writer is
/// gone, and read-back links (readBackBeforeRename) whose file is gone; called when
/// a file is opened or saved.
void removeStaleTempFiles(const QString& target);

/// A temporary file beside a target, for writers that open files by name (libhdf5
/// resolves the real path of what it opens, so an unnamed file will not do). Named
/// and locked as removeStaleTempFiles() expects; removed unless committed.
class AtomicTempFile {
public:
    explicit AtomicTempFile(const QString& target);
    /// Discards the file unless commit() succeeded.
    ~AtomicTempFile();
    AtomicTempFile(const AtomicTempFile&) = delete;
    AtomicTempFile& operator=(const AtomicTempFile&) = delete;

    /// Creates it, as a copy of \a source when that is not empty (\a size bytes from
    /// \a offset; all of it when \a size is -1), with the target's permissions (or
    /// rw-r--r-- for a new file).
    bool create(const QString& source, QString* error, qint64 offset = 0, qint64 size = -1);
    /// The file's name (valid after create()).
    const QString& path() const { return m_path; }
    /// Syncs the file to disk and renames it over the target, then syncs the folder;
    /// when \a source is given, first checks sourceUnchanged() and reads the file
    /// back (its SaveCheck). The writer must have closed it.
    bool commit(QString* error, const WeightFile* source = nullptr);

private:
    QString m_target;
    QString m_path;
    int m_fd = -1;
    bool m_committed = false;
};

} // namespace ws
