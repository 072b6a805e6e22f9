// HDF5 saving: the original file is copied next to the target, the edited
// datasets are written into the copy through HDF5 (which applies each dataset's
// own filters and byte order), the copy is synced and renamed over the target.
// Files from other formats are written fresh, one dataset per tensor.
#include "Hdf5Format.h"
#include "Hdf5Library.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QTemporaryFile>
#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

namespace ws {

using hdf5::Handle;

namespace {

// A temporary file beside the target that removes itself unless committed.
class TempFile {
public:
    explicit TempFile(const QString& target) : m_target(target) {}
    ~TempFile() {
        if (!m_path.isEmpty() && !m_committed) QFile::remove(m_path);
    }
    /// Creates it, as a copy of \a source when that is not empty.
    bool create(const QString& source, QString* error) {
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
            if (!in.open(QIODevice::ReadOnly)) {
                *error = QStringLiteral("%1: cannot read the original: %2")
                             .arg(source, in.errorString());
                return false;
            }
            QByteArray block;
            while (!(block = in.read(qint64(1) << 20)).isEmpty())
                if (tmp.write(block) != block.size()) {
                    *error = QStringLiteral("%1: cannot write: %2").arg(m_path, tmp.errorString());
                    return false;
                }
            if (in.error() != QFileDevice::NoError) {
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
    const QString& path() const { return m_path; }
    /// fsyncs the file and renames it over the target.
    bool commit(QString* error) {
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

private:
    QString m_target;
    QString m_path;
    bool m_committed = false;
};

// Writes every edited storage into its dataset of the open copy.
bool writeEdits(const WeightFile& file, hid_t h5, const QString& target, QString* error) {
    QSet<const Storage*> done;
    for (const TensorPtr& t : file.tensors) {
        const Storage* s = t->storage.get();
        if (!s || !s->isDirty() || done.contains(s)) continue;
        done.insert(s);
        Handle dataset(H5Dopen2(h5, s->key().toUtf8().constData(), H5P_DEFAULT));
        Handle type(dataset.valid() ? H5Dget_type(dataset.id()) : -1);
        Handle space(dataset.valid() ? H5Dget_space(dataset.id()) : -1);
        if (!dataset.valid() || !type.valid() || !space.valid()) {
            *error = QStringLiteral("%1: cannot open dataset %2: %3")
                         .arg(target, s->key(), hdf5::takeError());
            return false;
        }
        QString reason;
        auto et = hdf5::elementType(type.id(), &reason);
        const hssize_t points = H5Sget_simple_extent_npoints(space.id());
        if (!et || et->dtype != t->dtype || points < 0 ||
            qint64(points) * dtypeSize(t->dtype) != s->byteSize()) {
            *error = QStringLiteral("%1: dataset %2 no longer matches tensor %3")
                         .arg(target, s->key(), t->name);
            return false;
        }
        QByteArray bytes;
        if (!s->readAll(&bytes, error)) return false;
        if (points > 0 && H5Dwrite(dataset.id(), et->memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                   bytes.constData()) < 0) {
            *error = QStringLiteral("%1: cannot write dataset %2: %3")
                         .arg(target, s->key(), hdf5::takeError());
            return false;
        }
    }
    return true;
}

// The tensor's values in C order, as bytes of its dtype.
bool contiguousBytes(const Tensor& t, QByteArray* out, QString* error) {
    if (!t.check(error)) return false;
    out->resize(qsizetype(t.numel() * dtypeSize(t.dtype)));
    return t.readStoredBytes(0, t.numel(), out->data(), error);
}

// Writes every tensor of a file from another format as a dataset named by the tensor.
bool writeFresh(const WeightFile& file, hid_t h5, const QString& target, QString* error) {
    Handle lcpl(H5Pcreate(H5P_LINK_CREATE));
    H5Pset_create_intermediate_group(lcpl.id(), 1);
    H5Pset_char_encoding(lcpl.id(), H5T_CSET_UTF8);
    for (const TensorPtr& t : file.tensors) {
        Handle mem = hdf5::memoryType(t->dtype);
        if (!mem.valid()) {
            *error = QStringLiteral("%1: tensor %2 of type %3 cannot be stored in HDF5")
                         .arg(target, t->name, dtypeName(t->dtype));
            return false;
        }
        QByteArray bytes;
        if (!contiguousBytes(*t, &bytes, error)) return false;
        std::vector<hsize_t> dims(t->shape.begin(), t->shape.end());
        Handle space(t->shape.empty() ? H5Screate(H5S_SCALAR)
                                      : H5Screate_simple(int(dims.size()), dims.data(), nullptr));
        QString name = t->name;
        while (name.startsWith(QLatin1Char('/')))
            name.remove(0, 1);
        Handle dataset(H5Dcreate2(h5, name.toUtf8().constData(), mem.id(), space.id(), lcpl.id(),
                                  H5P_DEFAULT, H5P_DEFAULT));
        if (name.isEmpty() || !dataset.valid() ||
            (!bytes.isEmpty() && H5Dwrite(dataset.id(), mem.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                          bytes.constData()) < 0)) {
            *error = QStringLiteral("%1: cannot write tensor %2 as a dataset: %3")
                         .arg(target, t->name, hdf5::takeError());
            return false;
        }
    }
    return true;
}

} // namespace

bool Hdf5Format::save(const WeightFile& file, const QString& path, QString* error) const {
    const bool ownFile = file.formatId == id() && QFileInfo(file.path).isFile();
    TempFile tmp(path);
    if (!tmp.create(ownFile ? file.path : QString(), error)) return false;
    {
        auto guard = hdf5::lock();
        Handle h5;
        if (ownFile) {
            h5 = hdf5::openFile(tmp.path(), true, error);
            if (!h5.valid()) return false;
            if (!writeEdits(file, h5.id(), path, error)) return false;
        } else {
            Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
            H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG);
            h5.reset(H5Fcreate(QFile::encodeName(tmp.path()).constData(), H5F_ACC_TRUNC,
                               H5P_DEFAULT, fapl.id()));
            if (!h5.valid()) {
                *error =
                    QStringLiteral("%1: cannot create HDF5 file: %2").arg(path, hdf5::takeError());
                return false;
            }
            if (!writeFresh(file, h5.id(), path, error)) return false;
        }
        if (H5Fclose(h5.release()) < 0) {
            *error = QStringLiteral("%1: cannot finish writing: %2").arg(path, hdf5::takeError());
            return false;
        }
    }
    return tmp.commit(error);
}

} // namespace ws
