// What the quantized-layer decoders share: reading a rectangle of a stored
// component (few large reads rather than many small ones, so that a heatmap tile
// costs a handful of reads even for a layout transposed against the view), scale
// tensors as floats, and the small-float code tables (FP8, E2M1, E8M0).
#pragma once

#include "Tensor.h"

#include <QString>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace ws::quant {

/// An uninitialised buffer of \a n values (read buffers are filled whole: zeroing them
/// first would cost as much as the decode).
template <typename T> class Scratch {
public:
    explicit Scratch(int64_t n) : m_p(new T[size_t(std::max<int64_t>(n, 1))]) {}
    T* data() { return m_p.get(); }
    const T* data() const { return m_p.get(); }
    T& operator[](int64_t i) { return m_p[size_t(i)]; }
    const T& operator[](int64_t i) const { return m_p[size_t(i)]; }

private:
    std::unique_ptr<T[]> m_p;
};

/// Reads rows [row0, row0 + nRows) x bytes [col0, col0 + nCols) of component \a c's
/// bytes, seen as a row-major matrix of \a rowBytes-byte rows, into \a dst (nRows *
/// nCols bytes, rows packed). Reads the whole span at once when skipping the gaps
/// costs less than one read per row. Edits of the component are included.
bool readRect(const Tensor& c, int64_t rowBytes, int64_t row0, int64_t nRows, int64_t col0,
              int64_t nCols, char* dst, QString* error);

/// readRect() of elements: rows [row0, +nRows) x elements [col0, +nCols) of a
/// component whose rows hold \a rowElements elements, converted to float.
bool readFloatRect(const Tensor& c, int64_t rowElements, int64_t row0, int64_t nRows, int64_t col0,
                   int64_t nCols, float* dst, QString* error);

/// readRect() of 32-bit words (int32 components: qweight, qzeros, weight_packed).
bool readWordRect(const Tensor& c, int64_t rowWords, int64_t row0, int64_t nRows, int64_t col0,
                  int64_t nCols, uint32_t* dst, QString* error);

/// Converts \a n stored elements of \a t at \a src to floats (float32/16, bfloat16,
/// float8, integers).
void storedToFloats(const char* src, DType t, int64_t n, float* dst);

/// Decoded value of every float8_e4m3fn / float8_e5m2 code (0x7F/0xFF NaN in e4m3fn;
/// inf and NaN in e5m2), as PyTorch decodes them.
const float* fp8Table(DType t);
/// E2M1 (FP4) values by nibble, bit 3 the sign: 0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, ...
const float* e2m1Table();
/// OCP E8M0 scale values by byte: 2^(b - 127), 0xFF NaN.
const float* e8m0Table();

/// Field \a bit..bit+bits-1 of a little-endian bit stream held in \a words (which must
/// hold one word past the field's last word).
inline uint32_t bitField(const uint32_t* words, int64_t bit, int bits) {
    const uint64_t pair = uint64_t(words[bit >> 5]) | (uint64_t(words[(bit >> 5) + 1]) << 32);
    return uint32_t(pair >> (bit & 31)) & ((uint32_t(1) << bits) - 1);
}

/// Field at \a bit of a row of \a nWords words, LSB first; a field may straddle into the
/// next word (bounds-checked: the row may end there).
inline uint32_t fieldInRow(const uint32_t* row, int64_t nWords, int64_t bit, int bits) {
    const int64_t w = bit >> 5;
    const int shift = int(bit & 31);
    uint64_t v = row[w] >> shift;
    if (shift + bits > 32 && w + 1 < nWords) v |= uint64_t(row[w + 1]) << (32 - shift);
    return uint32_t(v) & ((uint32_t(1) << bits) - 1);
}

} // namespace ws::quant
