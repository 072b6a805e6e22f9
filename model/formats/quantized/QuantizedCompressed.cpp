// compressed-tensors pack-quantized integer and FP4 decoders.
#include "QuantizedCompressed.h"
#include "QuantizedRead.h"

#include <algorithm>

namespace ws::quant {

namespace {

/// Field \a i of a run of fields packed into \a words (\a nWords of them).
inline uint32_t packedField(const uint32_t* words, int64_t nWords, int64_t i, int bits,
                            Packing packing) {
    if (packing == Packing::Stream) return fieldInRow(words, nWords, i * bits, bits);
    const int per = 32 / bits;
    return (words[i / per] >> ((i % per) * bits)) & ((uint32_t(1) << bits) - 1);
}

/// First word and word count holding fields [first, first + n).
void wordSpan(int64_t first, int64_t n, int bits, Packing packing, int64_t* w0, int64_t* nW) {
    if (packing == Packing::Stream) {
        *w0 = first * bits / 32;
        *nW = ((first + n) * bits + 31) / 32 - *w0;
    } else {
        const int per = 32 / bits;
        *w0 = first / per;
        *nW = (first + n - 1) / per - *w0 + 1;
    }
}

} // namespace

CtIntEncoding::CtIntEncoding(TensorPtr packed, TensorPtr scale, TensorPtr shape, TensorPtr zero,
                             TensorPtr gIdx, int bits, Packing packing, ZeroPoints zeros,
                             int64_t out, int64_t in, int64_t groupSize, int64_t scaleRows,
                             int64_t scaleCols)
    : LayerEncoding(out, in, {packed, scale, shape}), m_bits(bits), m_packing(packing),
      m_zeros(zeros), m_group(groupSize), m_scaleRows(scaleRows), m_scaleCols(scaleCols),
      m_rowWords(packed->shape[1]) {
    if (zero) {
        m_zeroIndex = int(m_components.size());
        m_components.push_back(std::move(zero));
    }
    if (gIdx) {
        m_gIdxIndex = int(m_components.size());
        m_components.push_back(std::move(gIdx));
    }
}

int64_t CtIntEncoding::wordsFor(int64_t n, int bits, Packing packing) {
    if (packing == Packing::Stream) return (n * bits + 31) / 32;
    const int per = 32 / bits;
    return (n + per - 1) / per;
}

QString CtIntEncoding::typeName() const {
    return QStringLiteral("int%1 (pack-quantized, %2)")
        .arg(m_bits)
        .arg(m_zeros == ZeroPoints::None ? QStringLiteral("sym") : QStringLiteral("asym"));
}

QString CtIntEncoding::description() const {
    const Tensor& p = component(0);
    const Tensor& s = component(1);
    QString layout;
    if (m_scaleRows == 1 && m_scaleCols == 1)
        layout = QStringLiteral("one scale for the whole tensor");
    else if (m_scaleCols == 1)
        layout = QStringLiteral("one scale per output row");
    else
        layout = QStringLiteral("one scale per group of %1 inputs of a row").arg(m_group);
    double bits = m_bits + double(m_scaleRows * m_scaleCols) * dtypeSize(s.dtype) * 8.0 /
                               double(std::max<int64_t>(1, m_rows * m_cols));
    QString text =
        QStringLiteral("%1-bit integers stored plus %2 and packed along the inputs (%3 %4, %5); "
                       "%6 scales (%7 %8), %9")
            .arg(m_bits)
            .arg(1 << (m_bits - 1))
            .arg(p.name, p.shapeString(),
                 32 % m_bits == 0 ? QStringLiteral("%1 per int32").arg(32 / m_bits)
                 : m_packing == Packing::Stream
                     ? QStringLiteral("one bit stream per row")
                     : QStringLiteral("%1 per int32, older packing").arg(32 / m_bits),
                 dtypeName(s.dtype), s.name, s.shapeString(), layout);
    if (m_zeros != ZeroPoints::None) {
        const Tensor& z = component(size_t(m_zeroIndex));
        text += QStringLiteral("; zero points (%1 %2%3)")
                    .arg(z.name, z.shapeString(),
                         m_zeros == ZeroPoints::Packed ? QStringLiteral(", packed along outputs")
                                                       : QString());
        bits += double(m_scaleRows * m_scaleCols) * m_bits /
                double(std::max<int64_t>(1, m_rows * m_cols));
    }
    if (m_gIdxIndex >= 0)
        text +=
            QStringLiteral("; %1 maps inputs to groups").arg(component(size_t(m_gIdxIndex)).name);
    return text + QStringLiteral("; %1 bits per weight").arg(bitsText(bits)) + originText();
}

QString CtIntEncoding::readOnlyReason() const {
    return QStringLiteral("pack-quantized weights cannot be edited yet");
}

bool CtIntEncoding::readZeros(int64_t r0, int64_t nRows, int64_t g0, int64_t nG,
                              std::vector<float>* out, QString* error) const {
    const Tensor& z = component(size_t(m_zeroIndex));
    const int64_t zr0 = m_scaleRows == 1 ? 0 : r0, nZr = m_scaleRows == 1 ? 1 : nRows;
    out->assign(size_t(nZr * nG), 0.0f);
    const float offset = float(1 << (m_bits - 1));
    if (m_zeros == ZeroPoints::Plain) {
        if (!readFloatRect(z, m_scaleCols, zr0, nZr, g0, nG, out->data(), error)) return false;
        for (float& v : *out)
            v += offset; // compare with the stored (unsigned) fields
        return true;
    }
    // Packed along dim 0: the zero points of column g form one run down the column.
    int64_t w0, nW;
    wordSpan(zr0, nZr, m_bits, m_packing, &w0, &nW);
    Scratch<uint32_t> words(nW * nG);
    if (!readWordRect(z, m_scaleCols, w0, nW, g0, nG, words.data(), error)) return false;
    Scratch<uint32_t> column(nW);
    const int64_t skip =
        m_packing == Packing::Stream ? zr0 * m_bits - w0 * 32 : zr0 - w0 * (32 / m_bits);
    for (int64_t g = 0; g < nG; ++g) {
        for (int64_t w = 0; w < nW; ++w)
            column[w] = words[w * nG + g];
        for (int64_t r = 0; r < nZr; ++r) {
            const uint32_t v = m_packing == Packing::Stream
                                   ? fieldInRow(column.data(), nW, skip + r * m_bits, m_bits)
                                   : packedField(column.data(), nW, skip + r, m_bits, m_packing);
            (*out)[size_t(r * nG + g)] = float(v);
        }
    }
    return true;
}

bool CtIntEncoding::decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                               QString* error) const {
    int64_t w0, nW;
    wordSpan(c0, nCols, m_bits, m_packing, &w0, &nW);
    Scratch<uint32_t> words(nW * nRows);
    if (!readWordRect(component(0), m_rowWords, r0, nRows, w0, nW, words.data(), error))
        return false;
    std::vector<int32_t> group(static_cast<size_t>(nCols));
    bool columnOrder = true;
    if (m_gIdxIndex >= 0) {
        const Tensor& g = component(size_t(m_gIdxIndex));
        if (!readRect(g, m_cols * 4, 0, 1, c0 * 4, nCols * 4, reinterpret_cast<char*>(group.data()),
                      error))
            return false;
        // As compressed-tensors: a g_idx holding -1 (never initialised) means column order.
        columnOrder = std::find(group.begin(), group.end(), -1) != group.end();
        for (int64_t c = 0; c < nCols && !columnOrder; ++c)
            if (group[size_t(c)] < 0 || group[size_t(c)] >= m_scaleCols) {
                *error = QStringLiteral("%1[%2] = %3 is outside the %4 groups of %5")
                             .arg(g.name)
                             .arg(c0 + c)
                             .arg(group[size_t(c)])
                             .arg(m_scaleCols)
                             .arg(component(1).name);
                return false;
            }
    }
    if (columnOrder)
        for (int64_t c = 0; c < nCols; ++c)
            group[size_t(c)] = m_scaleCols == 1 ? 0 : int32_t((c0 + c) / m_group);
    const auto [lo, hi] = std::minmax_element(group.begin(), group.end());
    const int64_t g0 = *lo, nG = *hi - *lo + 1;
    const int64_t sr0 = m_scaleRows == 1 ? 0 : r0, nSr = m_scaleRows == 1 ? 1 : nRows;
    std::vector<float> scale(size_t(nSr * nG)), zero;
    if (!readFloatRect(component(1), m_scaleCols, sr0, nSr, g0, nG, scale.data(), error))
        return false;
    if (m_zeros != ZeroPoints::None) {
        if (!readZeros(r0, nRows, g0, nG, &zero, error)) return false;
    } else {
        zero.assign(size_t(nSr * nG), float(1 << (m_bits - 1)));
    }
    const int64_t first = m_packing == Packing::Stream ? c0 : c0 - w0 * (32 / m_bits);
    for (int64_t r = 0; r < nRows; ++r) {
        const uint32_t* row = words.data() + r * nW;
        const int64_t srow = (m_scaleRows == 1 ? 0 : r) * nG;
        float* out = dst + r * nCols;
        for (int64_t c = 0; c < nCols; ++c) {
            const uint32_t v = m_packing == Packing::Stream
                                   ? fieldInRow(row, nW, (c0 + c) * m_bits - w0 * 32, m_bits)
                                   : packedField(row, nW, first + c, m_bits, m_packing);
            const size_t g = size_t(srow + group[size_t(c)] - g0);
            out[c] = (float(v) - zero[g]) * scale[g];
        }
    }
    return true;
}

Fp4Encoding::Fp4Encoding(TensorPtr packed, TensorPtr scale, TensorPtr global, bool mx,
                         int64_t groupSize, int64_t out, int64_t in)
    : LayerEncoding(out, in, {packed, scale}), m_mx(mx), m_hasGlobal(global != nullptr),
      m_group(groupSize) {
    if (global) m_components.push_back(std::move(global));
}

QString Fp4Encoding::typeName() const {
    return m_mx ? QStringLiteral("mxfp4") : QStringLiteral("nvfp4");
}

QString Fp4Encoding::description() const {
    const Tensor& p = component(0);
    const Tensor& s = component(1);
    QString text = QStringLiteral("E2M1 (FP4) values, two per byte, element 2i in the low nibble "
                                  "(%1 %2); %3 scales (%4 %5), one per %6 inputs of a row")
                       .arg(p.name, p.shapeString(),
                            m_mx ? QStringLiteral("E8M0 (2^(e-127))") : dtypeName(s.dtype), s.name,
                            s.shapeString())
                       .arg(m_group);
    if (m_hasGlobal)
        text += QStringLiteral(", divided by the global scale %1").arg(component(2).name);
    const double bits = 4.0 + dtypeSize(s.dtype) * 8.0 / double(m_group);
    return text + QStringLiteral("; %1 bits per weight").arg(bitsText(bits)) + originText();
}

QString Fp4Encoding::readOnlyReason() const {
    return QStringLiteral("%1 weights cannot be edited yet")
        .arg(m_mx ? QStringLiteral("MXFP4") : QStringLiteral("NVFP4"));
}

bool Fp4Encoding::decodeRect(int64_t r0, int64_t nRows, int64_t c0, int64_t nCols, float* dst,
                             QString* error) const {
    const int64_t b0 = c0 / 2, nB = (c0 + nCols - 1) / 2 - b0 + 1;
    Scratch<char> bytes(nRows * nB);
    if (!readRect(component(0), m_cols / 2, r0, nRows, b0, nB, bytes.data(), error)) return false;
    const int64_t groups = m_cols / m_group;
    const int64_t g0 = c0 / m_group, nG = (c0 + nCols - 1) / m_group - g0 + 1;
    Scratch<float> scale(nRows * nG);
    const Tensor& s = component(1);
    if (m_mx) {
        Scratch<char> raw(nRows * nG);
        if (!readRect(s, groups, r0, nRows, g0, nG, raw.data(), error)) return false;
        const float* e8m0 = e8m0Table();
        for (int64_t i = 0; i < nRows * nG; ++i)
            scale[i] = e8m0[uchar(raw[i])];
    } else {
        if (!readFloatRect(s, groups, r0, nRows, g0, nG, scale.data(), error)) return false;
        if (m_hasGlobal) {
            float global = 0;
            if (!readFloatRect(component(2), 1, 0, 1, 0, 1, &global, error)) return false;
            for (int64_t i = 0; i < nRows * nG; ++i)
                scale[i] = scale[i] / global;
        }
    }
    const float* e2m1 = e2m1Table();
    for (int64_t r = 0; r < nRows; ++r) {
        const char* row = bytes.data() + r * nB;
        const float* srow = scale.data() + r * nG;
        float* out = dst + r * nCols;
        for (int64_t c = 0; c < nCols; ++c) {
            const int64_t e = c0 + c;
            const uchar byte = uchar(row[e / 2 - b0]);
            const int nib = (e & 1) ? byte >> 4 : byte & 15;
            out[c] = e2m1[nib] * srow[e / m_group - g0];
        }
    }
    return true;
}

} // namespace ws::quant
