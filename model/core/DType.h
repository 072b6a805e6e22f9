// Element types of weight tensors: names as PyTorch prints them, sizes, and
// conversion of one stored element to and from double.
#pragma once

#include <QString>
#include <cstdint>
#include <optional>

namespace ws {

/// Element type of a tensor as stored in the file.
enum class DType {
    Float32,
    Float16,
    BFloat16,
    Float64,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
    UInt16,
    UInt32,
    UInt64,
    Float8E4M3,
    Float8E5M2,
    Complex64,  ///< shown by its real part
    Complex128, ///< shown by its real part
};

/// PyTorch's name for the type: "float32", "bfloat16", "int64", "bool", ...
QString dtypeName(DType t);
/// Parses a PyTorch name ("float32", also "torch.float32"); nullopt when unknown.
std::optional<DType> dtypeFromName(const QString& name);
/// Size of one element in bytes.
int dtypeSize(DType t);
bool isFloatingPoint(DType t);

float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f); ///< round to nearest even, as PyTorch
float bfloat16ToFloat(uint16_t b);
uint16_t floatToBFloat16(float f); ///< round to nearest even, as PyTorch

/// Reads one little-endian element at \a p and converts it to double.
double readElement(const char* p, DType t);
/// Widens \a n float16 or bfloat16 values, packed at the start of \a buffer, to floats
/// filling it (4 * n bytes), in place: from the last value back, so that each float
/// lands on bytes already read.
void widenToFloatInPlace(void* buffer, int64_t n, DType t);
/// Converts \a v to \a t as PyTorch's tensor assignment does and stores it
/// little-endian at \a p (floats rounded, integers truncated toward zero and
/// wrapped, bool is v != 0).
void writeElement(char* p, DType t, double v);
/// The value \a v becomes once stored in \a t (what the views show after an edit).
double roundTrip(DType t, double v);

} // namespace ws
