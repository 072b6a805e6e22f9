// Writing tensors into an HDF5 file through the helper, then reading them back
// and comparing: shared by the HDF5 format and .keras archives.
#pragma once

#include "Tensor.h"

#include <QString>
#include <utility>
#include <vector>

namespace ws {

/// A dataset to write: its path in the HDF5 file and the tensor holding its values.
using Hdf5Record = std::pair<QString, TensorPtr>;

/// Writes \a records into the HDF5 file \a h5Path in the helper: into its existing
/// datasets of the same type and shape (each dataset's own filters, byte order and
/// opaque type apply), or, with \a create, into a new file of contiguous datasets.
/// Then scans the file again and compares every written dataset's type, shape and
/// bytes with the tensor's. False with \a error naming \a shownName.
bool writeHdf5Records(const QString& h5Path, const std::vector<Hdf5Record>& records, bool create,
                      const QString& shownName, QString* error);

} // namespace ws
