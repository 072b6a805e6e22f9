// QSaveFile does the temporary file and the rename; we add the checks it lacks,
// and the same guarantees for writers that need a file name (AtomicTempFile).
#include "AtomicSave.h"
#include "WeightFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ws {

namespace {

constexpr const char* kTempMarker = ".wstmp-";
constexpr const char* kVerifyMarker = ".wsverify-";

QString errnoText(int e) {
    return QString::fromLocal8Bit(std::strerror(e));
}

// Locks the whole file behind \a fd (an open file description lock: released when
// the description is closed, also when the process dies, and independent of the
// flock() that libhdf5 takes). Non-blocking; false when another holds it.
bool lockWhole(int fd, short type) {
    struct flock lk {};
    lk.l_type = type;
    lk.l_whence = SEEK_SET;
    return ::fcntl(fd, F_OFD_SETLK, &lk) == 0;
}

QString tempPrefix(const QString& target) {
    return QLatin1Char('.') + QFileInfo(target).fileName() + QLatin1String(kTempMarker);
}

bool writeAllFd(int fd, const char* data, qint64 size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size_t(std::min<qint64>(size, qint64(1) << 30)));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= n;
    }
    return true;
}

QString randomTag() {
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    QString tag;
    for (int i = 0; i < 6; ++i)
        tag += QLatin1Char(chars[QRandomGenerator::global()->bounded(62)]);
    return tag;
}

// Calls the check, prefixing its message with what failed.
bool runSaveCheck(const SaveCheck& check, const QString& readPath, const QString& target, bool part,
                  QSet<QString>* seen, QString* error) {
    QString why;
    if (check.check(readPath, target, part, seen, &why)) return true;
    *error = saveFailure(target, QStringLiteral("reading the written file back: ") + why);
    return false;
}

} // namespace

bool readBackBeforeRename(const WeightFile* source, int fd, const QString& target, bool part,
                          QSet<QString>* seen, QString* error) {
    if (!source || !source->saveCheck) return true;
    // /proc/PID/fd/N opens the temporary file even when it has no name (O_TMPFILE);
    // PID rather than "self" so that helper processes (HDF5) can open it too. The
    // link beside the target keeps the folder and the file name's ending, which
    // readers use (external data, shard configs, the suffix).
    const QString proc = QStringLiteral("/proc/%1/fd/%2").arg(::getpid()).arg(fd);
    const QFileInfo info(target);
    QString link;
    for (int attempt = 0; attempt < 20 && link.isEmpty(); ++attempt) {
        const QString candidate = info.absoluteDir().filePath(
            QLatin1String(kVerifyMarker) + randomTag() + QLatin1Char('-') + info.fileName());
        if (::symlink(QFile::encodeName(proc).constData(),
                      QFile::encodeName(candidate).constData()) == 0)
            link = candidate;
        else if (errno != EEXIST)
            break; // a file system without symbolic links: read the /proc name itself
    }
    const bool ok =
        runSaveCheck(*source->saveCheck, link.isEmpty() ? proc : link, target, part, seen, error);
    if (!link.isEmpty()) ::unlink(QFile::encodeName(link).constData());
    return ok;
}

bool checkCanSave(const QString& path, QString* error) {
    const QFileInfo info(path);
    if (info.isDir()) {
        *error = QStringLiteral("%1: cannot save: it is a folder").arg(path);
        return false;
    }
    if (info.exists() && ::access(QFile::encodeName(info.absoluteFilePath()).constData(), W_OK)) {
        *error = QStringLiteral("%1: cannot save: the file is read-only (%2); nothing was written")
                     .arg(path, errnoText(errno));
        return false;
    }
    // The temporary file goes into the folder (or the nearest existing parent of a
    // folder that the save would create).
    QString dir = info.absolutePath();
    while (!QFileInfo(dir).exists() && !QDir(dir).isRoot())
        dir = QFileInfo(dir).absolutePath();
    if (::access(QFile::encodeName(dir).constData(), W_OK | X_OK)) {
        *error = QStringLiteral("%1: cannot save: the folder %2 is read-only (%3), and a save "
                                "writes a temporary file there first; nothing was written")
                     .arg(path, QDir::toNativeSeparators(dir), errnoText(errno));
        return false;
    }
    return true;
}

bool sourceUnchanged(const WeightFile& source, const QString& path, QString* error,
                     const QStringList& skip) {
    for (const auto& [file, then] : source.stamps) {
        if (then.size < 0 || skip.contains(file)) continue;
        const WeightFile::FileStamp now = WeightFile::stampOf(file);
        if (now.size == then.size && now.modified == then.modified) continue;
        *error = QStringLiteral("%1: not saved: %2 was changed by another program during the "
                                "save, and unedited tensors are copied from it; it was left as "
                                "that program wrote it")
                     .arg(path, file);
        return false;
    }
    return true;
}

QString saveFailure(const QString& path, const QString& why) {
    QString reason = why.isEmpty() ? QStringLiteral("writing failed") : why;
    if (reason.startsWith(path + QLatin1String(": "))) reason = reason.mid(path.size() + 2);
    if (reason.startsWith(QLatin1String("cannot save: "))) reason = reason.mid(13);
    if (reason.endsWith(QLatin1String("; the file was not changed"))) reason.chop(26);
    return QStringLiteral("%1: cannot save: %2; the file was not changed").arg(path, reason);
}

QString writeFailureReason(const QIODevice& out) {
    const QString s = out.errorString();
    return s.isEmpty() || s == QLatin1String("Unknown error")
               ? QStringLiteral("a write failed (disk full or file size limit?)")
               : s;
}

bool flushSaveFile(QSaveFile& out, const QString& path, QString* error) {
    const qint64 written = out.pos();
    const bool flushed = out.flush() && out.error() == QFileDevice::NoError;
    if (flushed && out.size() == written) return true;
    const QString why = flushed || out.errorString().isEmpty() ||
                                out.errorString() == QLatin1String("Unknown error")
                            ? QStringLiteral("only %1 of %2 bytes could be written (disk full "
                                             "or file size limit?)")
                                  .arg(out.size())
                                  .arg(written)
                            : out.errorString();
    out.cancelWriting();
    if (error)
        *error = QStringLiteral("%1: cannot save: %2; the file was not changed").arg(path, why);
    return false;
}

bool syncSaveFile(QSaveFile& out, const QString& path, QString* error) {
    if (::fsync(out.handle()) == 0) return true;
    const int e = errno;
    out.cancelWriting();
    if (error) *error = saveFailure(path, QStringLiteral("syncing failed: ") + errnoText(e));
    return false;
}

bool commitSaveFile(QSaveFile& out, const QString& path, QString* error, const WeightFile* source,
                    const QStringList& skip, bool readBack) {
    if (!flushSaveFile(out, path, error) || !syncSaveFile(out, path, error)) return false;
    QString changed;
    if (source && !sourceUnchanged(*source, path, &changed, skip)) {
        out.cancelWriting();
        if (error) *error = changed;
        return false;
    }
    if (readBack && !readBackBeforeRename(source, out.handle(), path, false, nullptr, &changed)) {
        out.cancelWriting();
        if (error) *error = changed;
        return false;
    }
    if (out.commit()) return syncDirectoryOf(path, error);
    if (error) *error = QStringLiteral("%1: cannot save: %2").arg(path, out.errorString());
    return false;
}

void removeStaleTempFiles(const QString& target) {
    const QFileInfo info(target);
    const QDir dir = info.absoluteDir();
    const QString prefix = tempPrefix(target);
    const QStringList names = dir.entryList(QDir::Files | QDir::Hidden | QDir::System);
    const QString verifySuffix = QLatin1Char('-') + info.fileName();
    for (const QString& name : names) {
        if (name.startsWith(QLatin1String(kVerifyMarker)) && name.endsWith(verifySuffix) &&
            name.size() == int(qstrlen(kVerifyMarker)) + 6 + verifySuffix.size()) {
            // a read-back link whose save is gone points nowhere
            struct stat st {};
            const QByteArray local = QFile::encodeName(dir.filePath(name));
            if (::stat(local.constData(), &st) != 0) ::unlink(local.constData());
            continue;
        }
        if (!name.startsWith(prefix) || name.size() != prefix.size() + 6) continue;
        const QByteArray local = QFile::encodeName(dir.filePath(name));
        const int fd = ::open(local.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) continue;
        if (lockWhole(fd, F_RDLCK)) ::unlink(local.constData()); // its writer is gone
        ::close(fd);
    }
}

AtomicTempFile::AtomicTempFile(const QString& target) : m_target(target) {}

AtomicTempFile::~AtomicTempFile() {
    if (!m_committed && !m_path.isEmpty()) ::unlink(QFile::encodeName(m_path).constData());
    if (m_fd >= 0) ::close(m_fd);
}

bool AtomicTempFile::create(const QString& source, QString* error, qint64 offset, qint64 size) {
    removeStaleTempFiles(m_target);
    const QString base = QFileInfo(m_target).absoluteDir().filePath(tempPrefix(m_target));
    for (int attempt = 0; attempt < 100 && m_fd < 0; ++attempt) {
        const QString candidate = base + randomTag();
        m_fd = ::open(QFile::encodeName(candidate).constData(),
                      O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (m_fd >= 0) {
            m_path = candidate;
            lockWhole(m_fd, F_WRLCK); // tells removeStaleTempFiles that it is in use
        } else if (errno != EEXIST) {
            break;
        }
    }
    if (m_fd < 0) {
        *error = QStringLiteral("%1: cannot create a temporary file beside it: %2")
                     .arg(m_target, errnoText(errno));
        return false;
    }
    if (!source.isEmpty()) {
        QFile in(source);
        if (!in.open(QIODevice::ReadOnly) || !in.seek(offset)) {
            *error =
                QStringLiteral("%1: cannot read the original: %2").arg(source, in.errorString());
            return false;
        }
        qint64 left = size >= 0 ? size : in.size() - offset;
        QByteArray block;
        while (left > 0 && !(block = in.read(std::min<qint64>(left, qint64(1) << 20))).isEmpty())
            if (left -= block.size(), !writeAllFd(m_fd, block.constData(), block.size())) {
                *error = QStringLiteral("%1: cannot save: writing the temporary copy failed: %2; "
                                        "the file was not changed")
                             .arg(m_target, errnoText(errno));
                return false;
            }
        if (in.error() != QFileDevice::NoError || left > 0) {
            *error =
                QStringLiteral("%1: cannot read: %2")
                    .arg(source, left > 0 ? QStringLiteral("it ends early") : in.errorString());
            return false;
        }
    }
    struct stat st {};
    const bool exists = ::stat(QFile::encodeName(m_target).constData(), &st) == 0;
    ::fchmod(m_fd, exists ? (st.st_mode & 07777) : 0644);
    return true;
}

bool AtomicTempFile::commit(QString* error, const WeightFile* source) {
    if (m_fd < 0) {
        *error = QStringLiteral("%1: cannot save: no temporary file").arg(m_target);
        return false;
    }
    if (::fsync(m_fd) != 0) {
        *error = QStringLiteral("%1: cannot save: syncing the temporary file failed: %2; the "
                                "file was not changed")
                     .arg(m_target, errnoText(errno));
        return false;
    }
    if (source && !sourceUnchanged(*source, m_target, error)) return false;
    if (source && source->saveCheck &&
        !runSaveCheck(*source->saveCheck, m_path, m_target, false, nullptr, error))
        return false;
    if (::rename(QFile::encodeName(m_path).constData(), QFile::encodeName(m_target).constData())) {
        *error = QStringLiteral("%1: cannot replace it with the saved file: %2")
                     .arg(m_target, errnoText(errno));
        return false;
    }
    m_committed = true;
    return syncDirectoryOf(m_target, error);
}

bool syncDirectoryOf(const QString& path, QString* error) {
    // After a rename the new name lives in the directory: without syncing it a power
    // cut can bring back the old file (what SQLite and git do too).
    const QByteArray dir = QFile::encodeName(QFileInfo(path).absolutePath());
    const int fd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int err = errno;
        if (fd >= 0) ::close(fd);
        if (error)
            *error = QStringLiteral("%1: saved, but syncing its folder failed: %2")
                         .arg(path, errnoText(err));
        return false;
    }
    ::close(fd);
    return true;
}

} // namespace ws
