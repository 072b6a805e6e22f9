// A tensor as a file describes it: name, dtype, shape and a strided view into
// a (possibly shared) lazily loaded storage; values come out as Eigen matrices.
#pragma once

#include "DType.h"
#include "Storage.h"
#include "TensorEncoding.h"

#include <Eigen/Core>
#include <QString>
#include <memory>
#include <vector>

namespace ws {

/// Row-major float matrix: the 2-D view of a tensor's values for display.
using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// One named tensor of a weight file.
class Tensor {
public:
    QString name; ///< exactly as the file names it
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;   ///< empty for a 0-D scalar
    std::vector<int64_t> strides; ///< in elements; C-contiguous when built by fromShape
    int64_t storageOffset = 0;    ///< in elements
    std::shared_ptr<Storage> storage;
    bool isParameter = false; ///< an nn.Parameter (PyTorch)
    /// Stored input-major, (in, out) or (kh, kw, in, out), as Keras kernels are; views
    /// offer the transposed (out x in) view so that Keras and PyTorch models look alike.
    bool inputMajor = false;
    /// Set when the storage holds encoded values (quantized blocks, packed integers,
    /// sparse indices): dtype is then the type values decode to (Float32) and views
    /// decode through it. Null for a plain strided tensor of dtype.
    std::shared_ptr<const TensorEncoding> encoding;
    /// Why the tensor cannot be read (a truncated record, an unavailable HDF5 filter,
    /// an unknown quantization type, an object array), naming the problem. Such a
    /// tensor is listed with this reason, never shown or edited, and a save keeps its
    /// bytes exactly as they were. Empty for a readable tensor.
    QString problem;
    /// Computed from other tensors of the file, not stored in it: a quantized layer's
    /// dequantized weight, whose encoding reads the stored tensors it lists in
    /// sources(). Writers skip derived tensors; the stored ones are saved as they are.
    bool derived = false;
    /// For complex dtypes: which value readFloats() and readDoubles() give (views set
    /// it on their copy of the tensor; stored bytes and edits are unaffected).
    ComplexPart complexPart = ComplexPart::Real;

    /// Sets \a shape and C-contiguous strides.
    void setContiguousShape(std::vector<int64_t> newShape);
    int64_t numel() const;
    int rank() const { return int(shape.size()); }
    bool isContiguous() const;
    /// "[20, 10]"
    QString shapeString() const;
    /// The type to show: the encoding's name ("q4_K") or the dtype's ("bfloat16").
    QString typeName() const;

    /// Rows of the 2-D view: shape[0] for rank >= 2, 1 for rank <= 1.
    int64_t rows() const;
    /// Columns of the 2-D view: product of all dims after the first (n for 1-D, 1 for 0-D).
    int64_t cols() const;

    /// Checks shape, strides and offset against the storage size (or the encoding),
    /// without reading anything. Returns an empty string when valid, else the problem.
    QString validate() const;
    /// Checks shape, strides and offset against a storage of \a storageElements
    /// elements: every element the view reaches must lie inside it.
    QString validateReach(int64_t storageElements) const;
    /// validate(), then checks that the storage's bytes can be read (the record lies
    /// in the file; a loader succeeds) and that problem is empty.
    bool check(QString* error) const;
    /// Bytes a read of every value fetches over the network: the stored bytes when the
    /// storage lies in a remote source (ByteSource::isRemote), else 0.
    int64_t remoteBytes() const;
    /// Storage element index of logical flat index \a i (C order over shape).
    int64_t storageIndex(int64_t i) const;
    /// Logical elements [first, first + count) in C order, as they are now (edits
    /// included), converted to float (complex: the part complexPart) / to double. Reads only
    /// the bytes they need, decoding an encoded tensor through its encoding.
    bool readFloats(int64_t first, int64_t count, float* dst, QString* error) const;
    bool readDoubles(int64_t first, int64_t count, double* dst, QString* error) const;
    /// The stored bytes (dtypeSize(dtype) each) of logical elements [first, first +
    /// count), packed in C order, edits included: exact integers, writers, exports.
    /// Plain tensors only (not encoded ones).
    bool readStoredBytes(int64_t first, int64_t count, char* dst, QString* error) const;
    /// The exact text of logical element \a i (elementText() of its stored bytes; the
    /// decoded float for encoded tensors); empty when it cannot be read.
    QString elementText(int64_t i) const;
    /// Value at logical flat index \a i (NaN when it cannot be read).
    double at(int64_t i) const;
    /// All values as a rows() x cols() float matrix: for small tensors and tests only;
    /// views read tiles (tensorSource()) instead.
    bool values(MatrixF* out, QString* error) const;
    /// All values in double precision in C order (small tensors).
    bool valuesDouble(std::vector<double>* out, QString* error) const;
};

using TensorPtr = std::shared_ptr<Tensor>;

/// A plain tensor holding what the encoded tensor \a t shows: same name and shape,
/// dtype float32, C-contiguous, its storage decoding \a t when first read. For
/// writers that know nothing of encodings (conversions to other formats).
TensorPtr decodedTensor(const Tensor& t);

/// Largest element count we accept for one tensor (guards absurd shapes).
constexpr int64_t kMaxElements = int64_t(1) << 40;

} // namespace ws
