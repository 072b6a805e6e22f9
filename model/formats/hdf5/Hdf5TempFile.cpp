// The temporary file of an HDF5 save: a copy of the original (or of the HDF5
// file inside a .keras archive) that the helper edits in place.
#include "Hdf5TempFile.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryFile>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace ws {

Hdf5TempFile::~Hdf5TempFile() {
    if (!m_path.isEmpty() && !m_committed) QFile::remove(m_path);
}

bool Hdf5TempFile::create(const QString& source, QString* error, qint64 offset, qint64 size) {
    const QFileInfo info(m_target);
    QTemporaryFile tmp(info.absolutePath() + QStringLiteral("/.") + info.fileName() +
                       QStringLiteral(".XXXXXX"));
    tmp.setAutoRemove(false);
    if (!tmp.open()) {
        *error = QStringLiteral("%1: cannot create a temporary file beside it: %2")
                     .arg(m_target, tmp.errorString());
        return false;
    }
    m_path = tmp.fileName();
    if (!source.isEmpty()) {
        QFile in(source);
        if (!in.open(QIODevice::ReadOnly) || !in.seek(offset)) {
            *error =
                QStringLiteral("%1: cannot read the original: %2").arg(source, in.errorString());
            return false;
        }
        qint64 left = size >= 0 ? size : in.size() - offset;
        QByteArray block;
        while (left > 0 && !(block = in.read(std::min(left, qint64(1) << 20))).isEmpty()) {
            if (tmp.write(block) != block.size()) {
                *error = QStringLiteral("%1: cannot write: %2").arg(m_path, tmp.errorString());
                return false;
            }
            left -= block.size();
        }
        if (left != 0 || in.error() != QFileDevice::NoError) {
            *error = QStringLiteral("%1: cannot read: %2").arg(source, in.errorString());
            return false;
        }
    }
    tmp.close();
    const QFileDevice::Permissions perms =
        QFileInfo::exists(m_target) ? QFile::permissions(m_target)
                                    : QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                          QFileDevice::ReadGroup | QFileDevice::ReadOther;
    QFile::setPermissions(m_path, perms);
    return true;
}

bool Hdf5TempFile::commit(QString* error) {
    const QByteArray local = QFile::encodeName(m_path);
    const int fd = ::open(local.constData(), O_RDWR);
    if (fd < 0 || ::fsync(fd) != 0) {
        if (fd >= 0) ::close(fd);
        *error = QStringLiteral("%1: cannot sync the saved file").arg(m_target);
        return false;
    }
    ::close(fd);
    if (::rename(local.constData(), QFile::encodeName(m_target).constData()) != 0) {
        *error = QStringLiteral("%1: cannot replace it with the saved file").arg(m_target);
        return false;
    }
    m_committed = true;
    return true;
}

} // namespace ws
