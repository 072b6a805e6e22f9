// The helper's walk of an HDF5 file's structure and the checks of one dataset
// before its values are read or written.
#pragma once

#include "Hdf5Library.h"
#include "Hdf5Scan.h"

namespace ws {

/// Walks the open \a file depth first: every numeric dataset (type, shape, where its
/// bytes lie, a filter that is not available), the objects that are not tensors,
/// and the string attributes Keras files keep their layout in. \a fileSize bounds
/// what a dataset may claim.
void walkHdf5File(hid_t file, qint64 fileSize, Hdf5Scan* scan);

/// Checks dataset \a dataset's type, shape and storage against what a file of
/// \a fileSize bytes can hold. False with \a reason when it is not a tensor; an
/// unavailable filter is not a failure but sets \a problem.
bool inspectDataset(hid_t dataset, qint64 fileSize, hdf5::ElementType* et,
                    std::vector<int64_t>* dims, QString* reason, QString* problem = nullptr,
                    qint64* chunkBytes = nullptr);

} // namespace ws
