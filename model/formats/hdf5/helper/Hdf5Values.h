// The helper's reading and writing of dataset values, streamed in slabs of rows
// so that its memory stays bounded whatever the dataset's size.
#pragma once

#include "Hdf5Library.h"
#include "Hdf5Scan.h"

namespace ws {

/// What the format expects a dataset to be (it fails when the file says otherwise).
struct Hdf5Expected {
    QString path;
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
};

/// Writes the values of dataset \a want of \a file to file descriptor \a fd as
/// little-endian bytes of its dtype, C order, slab by slab. False with \a error.
bool streamDatasetValues(hid_t file, qint64 fileSize, const Hdf5Expected& want, int fd,
                         QString* error);

/// Reads records from file descriptor \a fd, each a line of JSON {"path", "dtype",
/// "shape", "bytes"} followed by that many bytes, until an empty line, and writes
/// each into its dataset of \a file: into the existing dataset (same type and shape)
/// when \a create is false, else into a new contiguous dataset (groups created as
/// needed). False with \a error naming the dataset.
bool writeDatasetRecords(hid_t file, bool create, int fd, QString* error);

} // namespace ws
