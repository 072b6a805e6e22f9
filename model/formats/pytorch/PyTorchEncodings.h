// PyTorch's tensors that are not one plain strided dtype: quantized (qint8,
// quint8, qint32; per-tensor or per-channel affine) and sparse (COO, CSR). Each
// decodes to float32 on demand; neither can be edited.
#pragma once

#include "Tensor.h"
#include "TensorEncoding.h"

#include <mutex>
#include <vector>

namespace ws {

/// A quantized tensor: the storage holds the integers q (int8, uint8 or int32, with
/// the tensor's strides and offset counted in them); values are dequantized exactly
/// as torch's dequantize() does: float(scale) * float(q - zero_point) per tensor,
/// float((q - zero_point[c]) * scale[c]) in double per channel c along the axis.
class QuantizedEncoding : public TensorEncoding {
public:
    /// Per-tensor affine.
    QuantizedEncoding(DType storageType, double scale, int64_t zeroPoint);
    /// Per-channel affine along \a axis of the tensor as read (\a base: its shape,
    /// strides and offset; views of it keep finding each element's channel).
    QuantizedEncoding(DType storageType, int axis, std::vector<double> scales,
                      std::vector<int64_t> zeroPoints, const Tensor& base);

    QString typeName() const override;
    QString description() const override;
    QString validate(const Tensor& t) const override;
    bool decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                QString* error) const override;
    QString readOnlyReason() const override;

    DType storageType() const { return m_storageType; }
    bool perChannel() const { return m_perChannel; }
    int axis() const { return m_axis; }
    double scale() const { return m_scale; }
    int64_t zeroPoint() const { return m_zeroPoint; }

private:
    int64_t channelOf(int64_t storagePosition) const;

    DType m_storageType;
    bool m_perChannel = false;
    double m_scale = 1;
    int64_t m_zeroPoint = 0;
    int m_axis = 0;
    std::vector<double> m_scales;
    std::vector<int64_t> m_zeroPoints;
    int64_t m_baseOffset = 0;
    std::vector<int64_t> m_baseShape, m_baseStrides;
    std::vector<int> m_order; ///< base dimensions by decreasing stride
};

/// A sparse COO or CSR tensor shown in its dense form. The tensor's shape is the
/// dense size and its strides address the dense elements (contiguous for the tensor
/// as read), so views of it work as for any tensor. The nonzeros are read from the
/// component tensors the first time something is decoded, sorted by dense position
/// with duplicates summed (as to_dense() does); that index holds 12 bytes per stored
/// nonzero, a count the component records' sizes bound.
class SparseEncoding : public TensorEncoding {
public:
    /// COO: \a parts = (indices int64 [ndim, nnz], values [nnz]); CSR: (crow_indices
    /// [rows + 1], col_indices [nnz], values [nnz]). \a denseShape is the tensor's size.
    SparseEncoding(bool csr, std::vector<TensorPtr> parts, std::vector<int64_t> denseShape);

    QString typeName() const override;
    QString description() const override;
    QString validate(const Tensor& t) const override;
    bool decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                QString* error) const override;
    QString readOnlyReason() const override;
    const std::vector<TensorPtr>& parts() const { return m_parts; }

private:
    bool buildIndex(QString* error) const;

    bool m_csr;
    std::vector<TensorPtr> m_parts;
    std::vector<int64_t> m_denseShape;
    mutable std::mutex m_mutex;
    mutable bool m_built = false;
    mutable QString m_buildError;
    mutable std::vector<int64_t> m_positions; ///< sorted dense positions of the nonzeros
    mutable std::vector<float> m_values;      ///< their values, duplicates summed
};

/// Reads the elements of \a t (an integer tensor) in C order as int64, exactly.
bool readIntegers(const Tensor& t, std::vector<int64_t>* out, QString* error);

} // namespace ws
