// A read-only HDF5 file driver that sees only a byte range of a larger file, so
// that the model.weights.h5 stored inside a .keras zip is read in place: no copy
// to a temporary file, no image of it in memory. libhdf5 ships no such driver.
#pragma once

#include <QString>
#include <hdf5.h>

namespace ws {

/// A file-access property list that opens \a size bytes at \a offset of the file
/// named in H5Fopen as a whole HDF5 file, read-only; -1 on failure.
hid_t rangeFileAccess(qint64 offset, qint64 size);

} // namespace ws
