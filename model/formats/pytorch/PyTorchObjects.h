// Turns an unpickled PyTorch checkpoint object into named tensors and modules:
// recognises the tensor rebuild calls (plain, Parameter, quantized, sparse), walks
// dicts, lists, whole-module pickles and TorchScript objects, and names tensors by
// their path.
//
// Naming rule (every tensor gets one name, and no two tensors share one):
//  - A path is the dict keys and list/tuple indices from the root to the tensor.
//  - String keys are joined with '.', list and tuple indices too (as "0", "1"):
//    {"model": {"fc.weight": t}} -> "model.fc.weight", [t0, (t1,)] -> "0", "1.0".
//    Whole-module pickles name tensors "<module path>.<parameter>" the same way, and
//    TorchScript archives as module.state_dict() does ("head.fc.weight").
//  - Integer keys are written in brackets after their parent, without a '.':
//    {"state": {3: {"exp_avg": t}}} -> "state[3].exp_avg"; a root key -> "[3]".
//    Booleans, None and floats likewise ("[True]", "[None]", "[0.5]"); a tensor used
//    as a key is "[tensor#N]" (N counts tensor keys in file order from 0), any other
//    object or tuple key "[object#N]" / "[tuple#N]".
//  - A string key that is empty or contains '[' or ']' is quoted in brackets,
//    "['a[1]']" (backslash escapes '\'' and '\\' inside the quotes).
//  - When the names so formed collide (keys with dots: {"a.b": {"c": t}} and
//    {"a": {"b.c": u}} both give "a.b.c"), each colliding tensor's string keys that
//    contain a '.' are quoted instead: "['a.b'].c" and "a['b.c']". The integer 7 and
//    the string "7" never collide ("[7]" and "7").
//  - A bare tensor saved on its own is named "tensor". Should two names still be
//    equal (an object holding both items and entries), later ones get "#2", "#3".
#pragma once

#include "DType.h"
#include "Pickle.h"
#include "WeightFile.h"

#include <QHash>
#include <QSet>
#include <functional>
#include <memory>

namespace ws {

/// A storage as a persistent id describes it.
struct PyTorchStorageRef {
    QString key;                ///< "0", "1", ... (or a pointer value in old files)
    DType dtype = DType::UInt8; ///< element type of the storage class
    bool untyped = false;       ///< UntypedStorage: numel counts bytes
    bool quantized = false;     ///< QInt8/QUInt8/QInt32Storage: elements are quantized ints
    int64_t numel = 0;          ///< elements of the storage class (bytes if untyped)
    QString unsupportedClass;   ///< set (and dtype meaningless) for a class we do not read
    int64_t viewOffset = 0;     ///< legacy storage views: offset in elements into the root
    /// Bytes the storage must hold.
    int64_t byteSize() const { return untyped ? numel : numel * dtypeSize(dtype); }
};

/// Parses a persistent id tuple ('storage', class, key, location, numel[, view]).
/// An unknown storage class is not an error: it sets \a out->unsupportedClass.
bool parsePyTorchStorageRef(const PickleValue* pid, PyTorchStorageRef* out, QString* error);

/// Gives the (shared) storage for a reference. Sets \a problem when the storage is
/// missing (returns null) or damaged (a record shorter than the reference needs, a
/// CRC mismatch: returns the storage as it is, so that its bytes are kept on save).
using PyTorchStorageResolver =
    std::function<std::shared_ptr<Storage>(const PyTorchStorageRef&, QString* problem)>;

/// What the walk needs to know beyond the pickle.
struct PyTorchWalkOptions {
    /// TorchScript: parameter names of each class ("__torch__.m.Net" -> {"weight"}),
    /// from the code records' __parameters__; other tensor attributes are buffers.
    QHash<QString, QSet<QString>> parametersOf;
};

/// Fills \a out->tensors and \a out->modules from \a root, naming tensors by the rule
/// above. Tensors of kinds we cannot read (unknown dtypes or constructors) are left
/// out and listed in \a out->metadata["unsupported tensors"]; tensors that are
/// damaged (missing or short storage, a view past its storage, malformed arguments)
/// are listed with Tensor::problem set. False with \a error only when the object
/// graph itself is implausible (too deep, too many tensors or characters).
bool collectPyTorchTensors(const PickleValue* root, size_t valueCount,
                           const PyTorchStorageResolver& resolver, WeightFile* out, QString* error,
                           const PyTorchWalkOptions& options = {});

} // namespace ws
