// Bulk conversion of stored elements to float and double: the one loop every view,
// statistic and export reads values through, so it is typed per dtype (with lookup
// tables for the 16- and 8-bit floats) instead of a switch per element.
#include "DType.h"

#include <array>
#include <cstring>

namespace ws {

namespace {

template <typename S, typename D> void convert(const char* src, int64_t n, D* dst) {
    for (int64_t i = 0; i < n; ++i) {
        S v;
        std::memcpy(&v, src + i * int64_t(sizeof(S)), sizeof(S));
        dst[i] = D(v);
    }
}

const float* halfTable() {
    static const std::array<float, 65536> table = [] {
        std::array<float, 65536> t{};
        for (uint32_t i = 0; i < 65536; ++i)
            t[i] = halfToFloat(uint16_t(i));
        return t;
    }();
    return table.data();
}

template <typename D>
void viaTable(const char* src, int64_t n, const float* table, int bytes, D* dst) {
    for (int64_t i = 0; i < n; ++i) {
        uint32_t code = 0;
        std::memcpy(&code, src + i * bytes, size_t(bytes)); // little-endian host
        dst[i] = D(table[code]);
    }
}

// bfloat16 is the top half of a float32: a shift, written so that the compiler
// vectorises it (the LLM embeddings people open are bf16; this loop feeds every view).
template <typename D> void bf16(const char* src, int64_t n, D* dst) {
    for (int64_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        const uint32_t bits = uint32_t(v) << 16;
        float f;
        std::memcpy(&f, &bits, 4);
        dst[i] = D(f);
    }
}

template <typename D> void fp8(const char* src, DType t, int64_t n, D* dst) {
    std::array<float, 256> table{};
    for (int c = 0; c < 256; ++c) {
        const char b = char(c);
        table[size_t(c)] = float(readElement(&b, t));
    }
    viaTable(src, n, table.data(), 1, dst);
}

template <typename D> void toValues(const char* src, DType t, int64_t n, D* dst) {
    switch (t) {
    case DType::Float32:
        return convert<float>(src, n, dst);
    case DType::Float16:
        return viaTable(src, n, halfTable(), 2, dst);
    case DType::BFloat16:
        return bf16(src, n, dst);
    case DType::Float64:
        return convert<double>(src, n, dst);
    case DType::Int64:
        return convert<int64_t>(src, n, dst);
    case DType::Int32:
        return convert<int32_t>(src, n, dst);
    case DType::Int16:
        return convert<int16_t>(src, n, dst);
    case DType::Int8:
        return convert<int8_t>(src, n, dst);
    case DType::UInt8:
        return convert<uint8_t>(src, n, dst);
    case DType::UInt16:
        return convert<uint16_t>(src, n, dst);
    case DType::UInt32:
        return convert<uint32_t>(src, n, dst);
    case DType::UInt64:
        return convert<uint64_t>(src, n, dst);
    case DType::Float8E4M3:
    case DType::Float8E5M2:
        return fp8(src, t, n, dst);
    default: // bool, complex and anything newer: one element at a time
        for (int64_t i = 0; i < n; ++i)
            dst[i] = D(readElement(src + i * dtypeSize(t), t));
    }
}

} // namespace

void toFloats(const char* src, DType t, int64_t n, float* dst) {
    toValues(src, t, n, dst);
}

void toDoubles(const char* src, DType t, int64_t n, double* dst) {
    toValues(src, t, n, dst);
}

} // namespace ws
