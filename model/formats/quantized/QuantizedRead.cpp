// Rectangles of component bytes, scale conversion and the small-float tables.
#include "QuantizedRead.h"

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace ws::quant {

namespace {

/// What one extra read costs, in bytes copied: below it, gaps are read and dropped.
constexpr int64_t kReadCost = 8192;

bool readComponent(const Tensor& c, int64_t offset, int64_t size, char* dst, QString* error) {
    const int64_t base = c.storageOffset * dtypeSize(c.dtype);
    return c.storage->readBytes(base + offset, size, dst, error);
}

} // namespace

bool readRect(const Tensor& c, int64_t rowBytes, int64_t row0, int64_t nRows, int64_t col0,
              int64_t nCols, char* dst, QString* error) {
    if (nRows <= 0 || nCols <= 0) return true;
    if (nCols == rowBytes) return readComponent(c, row0 * rowBytes, nRows * nCols, dst, error);
    const int64_t span = (nRows - 1) * rowBytes + nCols;
    if (span - nRows * nCols <= (nRows - 1) * kReadCost) {
        Scratch<char> buf(span);
        if (!readComponent(c, row0 * rowBytes + col0, span, buf.data(), error)) return false;
        for (int64_t r = 0; r < nRows; ++r)
            std::memcpy(dst + r * nCols, buf.data() + r * rowBytes, size_t(nCols));
        return true;
    }
    for (int64_t r = 0; r < nRows; ++r)
        if (!readComponent(c, (row0 + r) * rowBytes + col0, nCols, dst + r * nCols, error))
            return false;
    return true;
}

bool readFloatRect(const Tensor& c, int64_t rowElements, int64_t row0, int64_t nRows, int64_t col0,
                   int64_t nCols, float* dst, QString* error) {
    const int64_t es = dtypeSize(c.dtype);
    Scratch<char> raw(nRows * nCols * es);
    if (!readRect(c, rowElements * es, row0, nRows, col0 * es, nCols * es, raw.data(), error))
        return false;
    storedToFloats(raw.data(), c.dtype, nRows * nCols, dst);
    return true;
}

bool readWordRect(const Tensor& c, int64_t rowWords, int64_t row0, int64_t nRows, int64_t col0,
                  int64_t nCols, uint32_t* dst, QString* error) {
    if (!readRect(c, rowWords * 4, row0, nRows, col0 * 4, nCols * 4, reinterpret_cast<char*>(dst),
                  error))
        return false;
    // Stored little-endian, which every platform we build for is.
    static_assert(Q_BYTE_ORDER == Q_LITTLE_ENDIAN, "words are read in place");
    return true;
}

void storedToFloats(const char* src, DType t, int64_t n, float* dst) {
    switch (t) {
    case DType::Float32:
        std::memcpy(dst, src, size_t(n) * 4);
        return;
    case DType::Float16:
    case DType::BFloat16:
        for (int64_t i = 0; i < n; ++i) {
            uint16_t h;
            std::memcpy(&h, src + 2 * i, 2);
            dst[i] = t == DType::Float16 ? halfToFloat(h) : bfloat16ToFloat(h);
        }
        return;
    case DType::Float8E4M3:
    case DType::Float8E5M2: {
        const float* table = fp8Table(t);
        for (int64_t i = 0; i < n; ++i)
            dst[i] = table[uchar(src[i])];
        return;
    }
    default: {
        const int es = dtypeSize(t);
        for (int64_t i = 0; i < n; ++i)
            dst[i] = float(readElement(src + i * es, t));
    }
    }
}

namespace {

float fp8Value(int code, int mantissaBits, int bias, bool ieeeSpecials) {
    const int expBits = 7 - mantissaBits;
    const int e = (code >> mantissaBits) & ((1 << expBits) - 1);
    const int m = code & ((1 << mantissaBits) - 1);
    const float sign = (code & 0x80) ? -1.0f : 1.0f;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    if (ieeeSpecials && e == (1 << expBits) - 1)
        return m == 0 ? sign * std::numeric_limits<float>::infinity() : nan;
    if (!ieeeSpecials && e == (1 << expBits) - 1 && m == (1 << mantissaBits) - 1) return nan;
    if (e == 0) return sign * std::ldexp(float(m), 1 - bias - mantissaBits);
    return sign * std::ldexp(float(m + (1 << mantissaBits)), e - bias - mantissaBits);
}

} // namespace

const float* fp8Table(DType t) {
    static const auto tables = [] {
        std::array<std::array<float, 256>, 2> out{};
        for (int c = 0; c < 256; ++c) {
            out[0][size_t(c)] = fp8Value(c, 3, 7, false); // e4m3fn: no inf, NaN 0x7F/0xFF
            out[1][size_t(c)] = fp8Value(c, 2, 15, true); // e5m2: IEEE-like
        }
        return out;
    }();
    return tables[t == DType::Float8E5M2 ? 1 : 0].data();
}

const float* e2m1Table() {
    static const float table[16] = {0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
                                    -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};
    return table;
}

const float* e8m0Table() {
    static const auto table = [] {
        std::array<float, 256> out{};
        for (int b = 0; b < 255; ++b)
            out[size_t(b)] = std::ldexp(1.0f, b - 127);
        out[255] = std::numeric_limits<float>::quiet_NaN();
        return out;
    }();
    return table.data();
}

} // namespace ws::quant
