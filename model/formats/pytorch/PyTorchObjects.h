// Turns an unpickled PyTorch checkpoint object into named tensors and modules:
// recognises _rebuild_tensor_v2/_v3, _rebuild_parameter and _rebuild_from_type_v2,
// walks dicts, lists and whole-module pickles, and names tensors by their path.
#pragma once

#include "DType.h"
#include "Pickle.h"
#include "WeightFile.h"

#include <functional>
#include <memory>

namespace ws {

/// A storage as a persistent id describes it.
struct PyTorchStorageRef {
    QString key;                ///< "0", "1", ... (or a pointer value in old files)
    DType dtype = DType::UInt8; ///< element type of the storage class
    bool untyped = false;       ///< UntypedStorage: numel counts bytes
    int64_t numel = 0;          ///< elements of the storage class (bytes if untyped)
    QString unsupportedClass;   ///< set (and dtype meaningless) for a class we do not read
    int64_t viewOffset = 0;     ///< legacy storage views: offset in elements into the root
    /// Bytes the storage must hold.
    int64_t byteSize() const { return untyped ? numel : numel * dtypeSize(dtype); }
};

/// Parses a persistent id tuple ('storage', class, key, location, numel[, view]).
/// An unknown storage class is not an error: it sets \a out->unsupportedClass.
bool parsePyTorchStorageRef(const PickleValue* pid, PyTorchStorageRef* out, QString* error);

/// Gives the (shared) storage for a reference; false with an error otherwise.
using PyTorchStorageResolver =
    std::function<std::shared_ptr<Storage>(const PyTorchStorageRef&, QString* error)>;

/// Fills \a out->tensors and \a out->modules from \a root. Tensor names are the
/// dict keys / list indices on the way joined with '.', module tensors are named
/// "<module path>.<parameter>"; a bare tensor at the root is named "tensor".
/// Tensors of kinds we cannot read (quantized, sparse, unknown dtypes) are left
/// out and listed in \a out->metadata["unsupported tensors"].
bool collectPyTorchTensors(const PickleValue* root, size_t valueCount,
                           const PyTorchStorageResolver& resolver, WeightFile* out, QString* error);

} // namespace ws
