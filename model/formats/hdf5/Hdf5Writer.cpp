// HDF5 saving: the original file is copied into a temporary file beside the target
// (AtomicTempFile), the edited datasets are written into the copy through HDF5
// (which applies each dataset's own filters and byte order), the copy is synced
// and renamed over the target.
// Files from other formats are written fresh, one dataset per tensor.
#include "AtomicSave.h"
#include "Hdf5Format.h"
#include "Hdf5Library.h"

#include <QFile>
#include <QFileInfo>
#include <QSet>

namespace ws {

using hdf5::Handle;

namespace {

// Writes every edited storage into its dataset of the open copy.
bool writeEdits(const WeightFile& file, hid_t h5, const QString& target, QString* error) {
    QSet<const Storage*> done;
    for (const TensorPtr& t : file.tensors) {
        const Storage* s = t->storage.get();
        if (!s || !s->isDirty() || done.contains(s)) continue;
        done.insert(s);
        if (!s->isLoaded()) {
            *error = QStringLiteral("%1: edited tensor %2 is not loaded").arg(target, t->name);
            return false;
        }
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
        if (points > 0 && H5Dwrite(dataset.id(), et->memType.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                   s->data()) < 0) {
            *error = QStringLiteral("%1: cannot write dataset %2: %3")
                         .arg(target, s->key(), hdf5::takeError());
            return false;
        }
    }
    return true;
}

// The tensor's values in C order, as bytes of its dtype.
bool contiguousBytes(const Tensor& t, QByteArray* out, QString* error) {
    if (!t.load(error)) return false;
    const int es = dtypeSize(t.dtype);
    const int64_t n = t.numel();
    if (t.isContiguous() && qint64(t.storageOffset + n) * es <= t.storage->byteSize()) {
        *out = QByteArray(t.storage->data() + t.storageOffset * es, qsizetype(n * es));
        return true;
    }
    out->resize(qsizetype(n * es));
    for (int64_t i = 0; i < n; ++i)
        memcpy(out->data() + i * es, t.storage->data() + t.storageIndex(i) * es, size_t(es));
    return true;
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
    AtomicTempFile tmp(path);
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
    return tmp.commit(error, &file);
}

} // namespace ws
