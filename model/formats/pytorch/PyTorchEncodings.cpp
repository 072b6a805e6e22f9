// Decoding of PyTorch's quantized and sparse tensors, element range by element
// range, reading only the storage bytes the range needs.
#include "PyTorchEncodings.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <numeric>

namespace ws {

namespace {

/// Elements decoded per pass: bounds the scratch buffers of one decode call.
constexpr int64_t kChunk = int64_t(1) << 16;
/// Largest dense size a sparse tensor may be shown at.
constexpr int64_t kMaxSparseDense = int64_t(1) << 31;

// Calls f(k, position) for the logical elements [first, first + count) of \a t in C
// order: position is offset + sum(index * stride), in the tensor's storage units.
template <typename F> void forPositions(const Tensor& t, int64_t first, int64_t count, F f) {
    const size_t r = t.shape.size();
    if (r == 0) {
        for (int64_t k = 0; k < count; ++k)
            f(k, t.storageOffset);
        return;
    }
    std::vector<int64_t> idx(r, 0);
    int64_t rem = first, pos = t.storageOffset;
    for (size_t d = r; d-- > 0;) {
        idx[d] = rem % t.shape[d];
        rem /= t.shape[d];
        pos += idx[d] * t.strides[d];
    }
    for (int64_t k = 0; k < count; ++k) {
        f(k, pos);
        for (size_t d = r; d-- > 0;) {
            ++idx[d];
            pos += t.strides[d];
            if (idx[d] < t.shape[d]) break;
            pos -= idx[d] * t.strides[d];
            idx[d] = 0;
        }
    }
}

// Reads the storage elements of \a es bytes at \a positions into \a out (es bytes
// each): the span they cover in one read when it is not much larger than they are.
bool gather(Storage& s, const std::vector<int64_t>& positions, int es, std::vector<char>* out,
            QString* error) {
    out->resize(positions.size() * size_t(es));
    if (positions.empty()) return true;
    const auto [lo, hi] = std::minmax_element(positions.begin(), positions.end());
    const int64_t span = (*hi - *lo + 1) * es;
    if (span <= std::max<int64_t>(int64_t(1) << 20, int64_t(positions.size()) * es * 16)) {
        std::vector<char> buf(static_cast<size_t>(span));
        if (!s.readBytes(*lo * es, span, buf.data(), error)) return false;
        for (size_t k = 0; k < positions.size(); ++k)
            std::memcpy(out->data() + k * size_t(es), buf.data() + (positions[k] - *lo) * es,
                        size_t(es));
        return true;
    }
    for (size_t k = 0; k < positions.size(); ++k)
        if (!s.readBytes(positions[k] * es, es, out->data() + k * size_t(es), error)) return false;
    return true;
}

int64_t readQ(const char* p, DType t) {
    switch (t) {
    case DType::Int8:
        return int8_t(*p);
    case DType::UInt8:
        return uint8_t(*p);
    default: {
        int32_t v;
        std::memcpy(&v, p, 4);
        return v;
    }
    }
}

QString storageTypeName(DType t) {
    return t == DType::Int8    ? QStringLiteral("qint8")
           : t == DType::UInt8 ? QStringLiteral("quint8")
                               : QStringLiteral("qint32");
}

} // namespace

// ---- quantized ----------------------------------------------------------------

QuantizedEncoding::QuantizedEncoding(DType storageType, double scale, int64_t zeroPoint)
    : m_storageType(storageType), m_scale(scale), m_zeroPoint(zeroPoint) {}

QuantizedEncoding::QuantizedEncoding(DType storageType, int axis, std::vector<double> scales,
                                     std::vector<int64_t> zeroPoints, const Tensor& base)
    : m_storageType(storageType), m_perChannel(true), m_axis(axis), m_scales(std::move(scales)),
      m_zeroPoints(std::move(zeroPoints)), m_baseOffset(base.storageOffset),
      m_baseShape(base.shape), m_baseStrides(base.strides) {
    m_order.resize(m_baseShape.size());
    std::iota(m_order.begin(), m_order.end(), 0);
    std::stable_sort(m_order.begin(), m_order.end(), [this](int a, int b) {
        return m_baseStrides[size_t(a)] > m_baseStrides[size_t(b)];
    });
}

QString QuantizedEncoding::typeName() const {
    return storageTypeName(m_storageType);
}

QString QuantizedEncoding::description() const {
    if (m_perChannel)
        return QStringLiteral("per-channel (axis %1): %2 scales and zero points")
            .arg(m_axis)
            .arg(m_scales.size());
    char buf[64]; // the shortest text that reads back as the scale, as Python prints it
    const auto end = std::to_chars(buf, buf + sizeof buf, m_scale).ptr;
    return QStringLiteral("per-tensor: scale %1, zero point %2")
        .arg(QString::fromLatin1(buf, int(end - buf)))
        .arg(m_zeroPoint);
}

QString QuantizedEncoding::readOnlyReason() const {
    return QStringLiteral("quantized (%1) tensors cannot be edited").arg(typeName());
}

QString QuantizedEncoding::validate(const Tensor& t) const {
    return t.validateReach(t.storage->byteSize() / dtypeSize(m_storageType));
}

int64_t QuantizedEncoding::channelOf(int64_t storagePosition) const {
    int64_t rem = storagePosition - m_baseOffset;
    for (int d : m_order) {
        const size_t du = size_t(d);
        const int64_t c =
            m_baseShape[du] > 1 && m_baseStrides[du] > 0 ? rem / m_baseStrides[du] : 0;
        rem -= c * m_baseStrides[du];
        if (d == m_axis) return std::clamp<int64_t>(c, 0, int64_t(m_scales.size()) - 1);
    }
    return 0;
}

bool QuantizedEncoding::decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                               QString* error) const {
    const int es = dtypeSize(m_storageType);
    std::vector<int64_t> positions;
    std::vector<char> bytes;
    for (int64_t done = 0; done < count;) {
        const int64_t n = std::min(kChunk, count - done);
        positions.resize(size_t(n));
        forPositions(t, first + done, n, [&](int64_t k, int64_t p) { positions[size_t(k)] = p; });
        if (!gather(*t.storage, positions, es, &bytes, error)) return false;
        for (int64_t k = 0; k < n; ++k) {
            const int64_t q = readQ(bytes.data() + k * es, m_storageType);
            float v;
            if (m_perChannel) {
                const size_t c = size_t(channelOf(positions[size_t(k)]));
                v = float(double(q - m_zeroPoints[c]) * m_scales[c]);
            } else {
                v = float(m_scale) * float(q - m_zeroPoint);
            }
            dst[done + k] = v;
        }
        done += n;
    }
    return true;
}

// ---- sparse -------------------------------------------------------------------

SparseEncoding::SparseEncoding(bool csr, std::vector<TensorPtr> parts,
                               std::vector<int64_t> denseShape)
    : m_csr(csr), m_parts(std::move(parts)), m_denseShape(std::move(denseShape)) {}

QString SparseEncoding::typeName() const {
    return QStringLiteral("sparse %1 %2")
        .arg(m_csr ? QStringLiteral("CSR") : QStringLiteral("COO"),
             dtypeName(m_parts.back()->dtype));
}

QString SparseEncoding::description() const {
    return QStringLiteral("%1 stored values (%2 indices), shown dense; duplicates summed as "
                          "to_dense() does")
        .arg(m_parts.back()->numel())
        .arg(m_csr ? QStringLiteral("CSR") : QStringLiteral("COO"));
}

QString SparseEncoding::readOnlyReason() const {
    return QStringLiteral("sparse tensors cannot be edited");
}

// Elements of the dense form, or -1 when a dimension is negative or there are more
// than kMaxSparseDense.
static int64_t denseNumel(const std::vector<int64_t>& shape) {
    int64_t dense = 1;
    for (int64_t d : shape) {
        if (d < 0 || (d != 0 && dense > kMaxSparseDense / d)) return -1;
        dense *= d;
    }
    return dense;
}

QString SparseEncoding::validate(const Tensor& t) const {
    const int64_t dense = denseNumel(m_denseShape);
    if (dense < 0)
        return QStringLiteral("tensor %1: a sparse tensor of dense size %2 cannot be shown (more "
                              "than %3 elements, or a negative dimension)")
            .arg(t.name, t.shapeString())
            .arg(kMaxSparseDense);
    for (const TensorPtr& p : m_parts) {
        const QString problem = p->validate();
        if (!problem.isEmpty()) return problem;
    }
    return t.validateReach(dense);
}

bool SparseEncoding::buildIndex(QString* error) const {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_built) {
        if (!m_buildError.isEmpty()) *error = m_buildError;
        return m_buildError.isEmpty();
    }
    m_built = true;
    if (denseNumel(m_denseShape) < 0) {
        m_buildError = QStringLiteral("the sparse tensor's dense size is too large");
        *error = m_buildError;
        return false;
    }
    const auto failBuild = [this, error](const QString& why) {
        m_buildError = why;
        m_positions.clear();
        m_values.clear();
        *error = why;
        return false;
    };
    const Tensor& values = *m_parts.back();
    if (values.rank() != 1)
        return failBuild(QStringLiteral("sparse values of shape %1: only one value per stored "
                                        "index is supported")
                             .arg(values.shapeString()));
    const int64_t nnz = values.shape[0];
    std::vector<double> v;
    QString why;
    if (!values.valuesDouble(&v, &why)) return failBuild(why);
    std::vector<std::pair<int64_t, double>> entries(static_cast<size_t>(nnz));
    if (!m_csr) {
        const Tensor& indices = *m_parts[0];
        const int64_t ndim = int64_t(m_denseShape.size());
        if (indices.rank() != 2 || indices.shape[0] != ndim || indices.shape[1] != nnz)
            return failBuild(QStringLiteral("sparse indices of shape %1 do not fit %2 values of "
                                            "a %3-dimensional tensor")
                                 .arg(indices.shapeString())
                                 .arg(nnz)
                                 .arg(ndim));
        std::vector<int64_t> idx;
        if (!readIntegers(indices, &idx, &why)) return failBuild(why);
        for (int64_t k = 0; k < nnz; ++k) {
            int64_t pos = 0;
            for (int64_t d = 0; d < ndim; ++d) {
                const int64_t i = idx[size_t(d * nnz + k)], size = m_denseShape[size_t(d)];
                if (i < 0 || i >= size)
                    return failBuild(QStringLiteral("sparse index %1 of value %2 is out of range "
                                                    "for dimension %3 of size %4")
                                         .arg(i)
                                         .arg(k)
                                         .arg(d)
                                         .arg(size));
                pos = pos * size + i;
            }
            entries[size_t(k)] = {pos, v[size_t(k)]};
        }
    } else {
        const Tensor &crow = *m_parts[0], &col = *m_parts[1];
        if (m_denseShape.size() != 2)
            return failBuild(QStringLiteral("only 2-D (unbatched) CSR tensors are supported"));
        const int64_t rows = m_denseShape[0], cols = m_denseShape[1];
        if (crow.rank() != 1 || crow.shape[0] != rows + 1 || col.rank() != 1 || col.shape[0] != nnz)
            return failBuild(QStringLiteral("CSR indices of shapes %1 and %2 do not fit %3 values "
                                            "of a %4 x %5 tensor")
                                 .arg(crow.shapeString(), col.shapeString())
                                 .arg(nnz)
                                 .arg(rows)
                                 .arg(cols));
        std::vector<int64_t> cr, cc;
        if (!readIntegers(crow, &cr, &why) || !readIntegers(col, &cc, &why)) return failBuild(why);
        if (cr.front() != 0 || cr.back() != nnz)
            return failBuild(QStringLiteral("CSR row pointers run from %1 to %2, not 0 to %3")
                                 .arg(cr.front())
                                 .arg(cr.back())
                                 .arg(nnz));
        // All row pointers first: with them non-decreasing from 0 to nnz, every one lies
        // in [0, nnz] and the column indices read below stay inside their tensor.
        for (int64_t r = 0; r < rows; ++r)
            if (cr[size_t(r + 1)] < cr[size_t(r)])
                return failBuild(QStringLiteral("CSR row pointers decrease at row %1").arg(r));
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t k = cr[size_t(r)]; k < cr[size_t(r + 1)]; ++k) {
                const int64_t c = cc[size_t(k)];
                if (c < 0 || c >= cols)
                    return failBuild(QStringLiteral("CSR column index %1 of value %2 is out of "
                                                    "range for %3 columns")
                                         .arg(c)
                                         .arg(k)
                                         .arg(cols));
                entries[size_t(k)] = {r * cols + c, v[size_t(k)]};
            }
        }
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t k = 0; k < entries.size();) {
        double sum = 0;
        const int64_t pos = entries[k].first;
        for (; k < entries.size() && entries[k].first == pos; ++k)
            sum += entries[k].second;
        m_positions.push_back(pos);
        m_values.push_back(float(sum));
    }
    return true;
}

bool SparseEncoding::decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                            QString* error) const {
    if (!buildIndex(error)) return false;
    const auto begin = m_positions.begin(), end = m_positions.end();
    auto it = begin;
    int64_t last = -1;
    forPositions(t, first, count, [&](int64_t k, int64_t p) {
        // positions mostly increase: search on from the last one found
        it = std::lower_bound(p >= last ? it : begin, end, p);
        last = p;
        dst[k] = it != end && *it == p ? m_values[size_t(it - begin)] : 0.0f;
    });
    return true;
}

// ---- helpers ------------------------------------------------------------------

bool readIntegers(const Tensor& t, std::vector<int64_t>* out, QString* error) {
    const QString problem = t.validate();
    if (!problem.isEmpty()) {
        *error = problem;
        return false;
    }
    const DType type = t.dtype;
    if (isFloatingPoint(type) || type == DType::Bool) {
        *error =
            QStringLiteral("tensor %1 of type %2 holds no indices").arg(t.name, dtypeName(type));
        return false;
    }
    const int es = dtypeSize(type);
    const int64_t n = t.numel();
    std::vector<int64_t> positions(static_cast<size_t>(n));
    forPositions(t, 0, n, [&](int64_t k, int64_t p) { positions[size_t(k)] = p; });
    std::vector<char> bytes;
    if (!gather(*t.storage, positions, es, &bytes, error)) return false;
    out->resize(size_t(n));
    for (int64_t k = 0; k < n; ++k) {
        const char* p = bytes.data() + k * es;
        int64_t v = 0;
        if (type == DType::Int64 || type == DType::UInt64)
            std::memcpy(&v, p, 8);
        else
            v = int64_t(readElement(p, type));
        (*out)[size_t(k)] = v;
    }
    return true;
}

} // namespace ws
