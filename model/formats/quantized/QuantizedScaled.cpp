// Dense scaled weights (FP8 or int8 codes times per-block scales).
#include "QuantizedScaled.h"
#include "QuantizedRead.h"

#include <algorithm>

namespace ws::quant {

ScaledEncoding::ScaledEncoding(TensorPtr weight, TensorPtr scale, TensorPtr zero, int64_t blockRows,
                               int64_t blockCols, QString layout)
    : LayerEncoding(weight->shape[0], weight->shape[1], {weight, scale}), m_blockRows(blockRows),
      m_blockCols(blockCols), m_scaleCols(scaleCount(weight->shape[1], blockCols)),
      m_layout(std::move(layout)), m_hasZero(zero != nullptr) {
    if (zero) m_components.push_back(std::move(zero));
}

QString ScaledEncoding::typeName() const {
    const DType d = component(0).dtype;
    const QString codes = d == DType::Float8E4M3   ? QStringLiteral("fp8 e4m3")
                          : d == DType::Float8E5M2 ? QStringLiteral("fp8 e5m2")
                                                   : dtypeName(d);
    return QStringLiteral("%1 (%2)").arg(codes, m_layout);
}

QString ScaledEncoding::description() const {
    const Tensor& w = component(0);
    const Tensor& s = component(1);
    const int64_t scales = scaleCount(m_rows, m_blockRows) * m_scaleCols;
    double bits = dtypeSize(w.dtype) * 8.0 + double(scales) * dtypeSize(s.dtype) * 8.0 /
                                                 double(std::max<int64_t>(1, m_rows * m_cols));
    QString block;
    if (m_blockRows >= m_rows && m_blockCols >= m_cols)
        block = QStringLiteral("one scale for the whole tensor");
    else if (m_blockRows == 1 && m_blockCols >= m_cols)
        block = QStringLiteral("one scale per output row");
    else if (m_blockRows == 1)
        block = QStringLiteral("one scale per %1 inputs of a row").arg(m_blockCols);
    else
        block = QStringLiteral("one scale per %1 x %2 block, edge blocks partial")
                    .arg(m_blockRows)
                    .arg(m_blockCols);
    QString text = QStringLiteral("%1 codes (%2 %3) times %4 scales (%5 %6), %7")
                       .arg(dtypeName(w.dtype), w.name, w.shapeString(), dtypeName(s.dtype), s.name,
                            s.shapeString(), block);
    if (m_hasZero) {
        const Tensor& z = component(2);
        text += QStringLiteral(", minus zero points (%1)").arg(z.name);
        bits += double(scales) * dtypeSize(z.dtype) * 8.0 /
                double(std::max<int64_t>(1, m_rows * m_cols));
    }
    return text + QStringLiteral("; %1 bits per weight").arg(bitsText(bits)) + originText();
}

QString ScaledEncoding::readOnlyReason() const {
    return QStringLiteral("scaled %1 weights cannot be edited yet; edit the codes (%2) or the "
                          "scales (%3) themselves")
        .arg(dtypeName(component(0).dtype), component(0).name, component(1).name);
}

bool ScaledEncoding::decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                                QString* error) const {
    const Tensor& w = component(0);
    const int es = dtypeSize(w.dtype);
    Scratch<char> raw(nRows * nCols * es);
    if (!readRect(w, m_cols * es, r0, nRows, c0 * es, nCols * es, raw.data(), error)) return false;
    const int64_t sr0 = r0 / m_blockRows, srN = (r0 + nRows - 1) / m_blockRows - sr0 + 1;
    const int64_t sc0 = c0 / m_blockCols, scN = (c0 + nCols - 1) / m_blockCols - sc0 + 1;
    Scratch<float> scale(srN * scN), zero(m_hasZero ? srN * scN : 1);
    if (!readFloatRect(component(1), m_scaleCols, sr0, srN, sc0, scN, scale.data(), error))
        return false;
    if (m_hasZero &&
        !readFloatRect(component(2), m_scaleCols, sr0, srN, sc0, scN, zero.data(), error))
        return false;
    const bool fp8 = w.dtype == DType::Float8E4M3 || w.dtype == DType::Float8E5M2;
    const float* table = fp8 ? fp8Table(w.dtype) : nullptr;
    Scratch<float> codes(fp8 ? 1 : nCols); // integer codes of one row as floats (exact)
    for (int64_t r = 0; r < nRows; ++r) {
        const int64_t srow = ((r0 + r) / m_blockRows - sr0) * scN;
        const char* in = raw.data() + r * nCols * es;
        if (!fp8) storedToFloats(in, w.dtype, nCols, codes.data());
        float* out = dst + r * nCols;
        for (int64_t c = 0; c < nCols;) {
            const int64_t block = (c0 + c) / m_blockCols;
            const int64_t end = std::min(nCols, (block + 1) * m_blockCols - c0);
            const float s = scale[srow + block - sc0];
            if (fp8) { // W = fp8(code) * scale, in float32 as the kernels compute it
                for (; c < end; ++c)
                    out[c] = table[uchar(in[c])] * s;
            } else {
                const float z = m_hasZero ? zero[srow + block - sc0] : 0.0f;
                for (; c < end; ++c)
                    out[c] = (codes[c] - z) * s;
            }
        }
    }
    return true;
}

} // namespace ws::quant
