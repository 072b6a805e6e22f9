// Reading HDF5 through the helper: the structure of a file (or of an HDF5 file
// stored inside a .keras archive) and, lazily, each dataset's values, and the
// tensors the format builds from them.
#pragma once

#include "Hdf5Scan.h"
#include "Tensor.h"

#include <QString>
#include <QStringList>

namespace ws {

/// Where an HDF5 file lies: a whole file, or \a size bytes at \a offset of one.
struct Hdf5Source {
    QString path;      ///< the file on disk
    qint64 offset = 0; ///< start of the HDF5 file within it
    qint64 size = -1;  ///< bytes of the HDF5 file, or -1 for the whole file
    QString shownName; ///< the name messages use (the user's file)
    QStringList rangeArguments() const;
};

/// Walks \a source's structure in the helper. False with \a error naming the file.
bool scanHdf5(const Hdf5Source& source, Hdf5Scan* scan, QString* error);

/// The tensor for dataset \a d of \a source: read straight from the file when the
/// helper found its bytes lying there as they are, else through the helper when
/// first needed; a dataset with a problem gets it as Tensor::problem and a storage
/// that fails with it.
TensorPtr hdf5Tensor(const Hdf5Source& source, const Hdf5Dataset& d);

/// Reads the values of dataset \a d of \a source through the helper into \a bytes
/// (resized to the dataset's size).
bool readHdf5Values(const Hdf5Source& source, const Hdf5Dataset& d, QByteArray* bytes,
                    QString* error);

/// Memory the helper may use for a dataset whose chunks are \a chunkBytes each.
qint64 hdf5HelperBudget(qint64 chunkBytes);

} // namespace ws
