// Internal to the PyTorch reader: what one torch._utils._rebuild_* call in a
// pickle describes (a strided tensor, a quantized one, a sparse COO or CSR one),
// parsed from the inert pickle objects without building anything.
#pragma once

#include "DType.h"
#include "Pickle.h"

#include <QString>
#include <optional>
#include <vector>

namespace ws {
namespace detail {

/// The layouts the reader understands.
enum class TensorLayout { Strided, Quantized, SparseCoo, SparseCsr };

/// Quantizer parameters of _rebuild_qtensor.
struct QuantizerSpec {
    bool perChannel = false;
    double scale = 1;                        ///< per-tensor
    int64_t zeroPoint = 0;                   ///< per-tensor
    int64_t axis = 0;                        ///< per-channel
    const PickleValue* scales = nullptr;     ///< per-channel: a tensor object (float64)
    const PickleValue* zeroPoints = nullptr; ///< per-channel: a tensor object (int64)
};

/// One tensor as its rebuild call describes it.
struct TensorSpec {
    TensorLayout layout = TensorLayout::Strided;
    const PickleValue* pid = nullptr; ///< strided and quantized: the storage's persistent id
    int64_t offset = 0;
    std::vector<int64_t> size, stride;
    std::optional<DType> dtype; ///< _rebuild_tensor_v3's explicit dtype
    bool isParameter = false;
    QuantizerSpec quantizer;
    /// Sparse: the component tensor objects, COO (indices, values), CSR (crow, col, values).
    std::vector<const PickleValue*> parts;
};

/// Any torch._utils._rebuild_* / torch._tensor._rebuild_* call.
bool isTensorObject(const PickleValue* v);
/// Parses the rebuild call \a v. False with \a error on malformed input; false with
/// \a unsupported also set for well-formed tensors of a kind we do not read.
bool parseTensorSpec(const PickleValue* v, TensorSpec* spec, QString* error, bool* unsupported);
/// A storage class's element type: "torch.FloatStorage" -> Float32. \a untyped is set
/// for UntypedStorage, \a quantized for QInt8/QUInt8/QInt32Storage (whose elements
/// are the quantized integers).
std::optional<DType> storageClassDType(const QString& qualifiedName, bool* untyped,
                                       bool* quantized);
/// "qint8", "quint8", "qint32" for a quantized storage's element type.
QString quantizedTypeName(DType storageType);
/// An integer (or bool) value; false otherwise.
bool pickleInt(const PickleValue* v, int64_t* out);

} // namespace detail
} // namespace ws
