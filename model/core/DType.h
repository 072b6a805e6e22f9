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
    Complex64,  ///< two float32 (real, imaginary)
    Complex128, ///< two float64
};

/// Which value of a complex element is shown (as numpy names them: real, imag, abs,
/// angle in radians). Real tensors have only their value.
enum class ComplexPart { Real, Imaginary, Magnitude, Phase };

/// Integer arithmetic wide enough for every int64 and uint64 value and their sums
/// (a GCC/Clang extension; edits of integer tensors are exact in it).
__extension__ typedef __int128 Int128;

/// PyTorch's name for the type: "float32", "bfloat16", "int64", "bool", ...
QString dtypeName(DType t);
/// Parses a PyTorch name ("float32", also "torch.float32"); nullopt when unknown.
std::optional<DType> dtypeFromName(const QString& name);
/// "real", "imag", "abs", "angle" (numpy's function names; the command line's words).
QString complexPartName(ComplexPart p);
/// "Real", "Imaginary", "Magnitude", "Phase (rad)": for menus and titles.
QString complexPartTitle(ComplexPart p);
/// Parses complexPartName() (also "imaginary", "magnitude", "phase"); nullopt else.
std::optional<ComplexPart> complexPartFromName(const QString& name);
/// Size of one element in bytes.
int dtypeSize(DType t);
bool isFloatingPoint(DType t);
bool isComplex(DType t);
/// True for the signed and unsigned integer types (not bool).
bool isInteger(DType t);
/// The smallest and largest value of an integer type (false for other types).
bool integerRange(DType t, Int128* lo, Int128* hi);
/// "[-128, 127]", "[0, 18446744073709551615]": an integer type's range for messages.
QString integerRangeText(DType t);
/// Decimal text of \a v (QString cannot format 128-bit integers).
QString int128Text(Int128 v);

float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f); ///< round to nearest even, as PyTorch
float bfloat16ToFloat(uint16_t b);
uint16_t floatToBFloat16(float f); ///< round to nearest even, as PyTorch
/// float32 -> float8_e4m3fn / float8_e5m2 code as PyTorch converts: round to nearest
/// even, no saturation (e4m3fn: |x| > 464 and NaN become NaN; e5m2: |x| >= 61440
/// becomes inf).
uint8_t floatToFp8(float f, DType t);
/// The largest finite value of a float8 type (448, 57344).
double fp8Max(DType t);

/// Converts \a n packed little-endian elements of type \a t at \a src to floats (the
/// real part of complex values) at \a dst. \a src and \a dst must not overlap.
void toFloats(const char* src, DType t, int64_t n, float* dst);
/// The \a part of \a n complex elements (complex64 or complex128) at \a src.
void complexPartTo(const char* src, DType t, int64_t n, ComplexPart part, float* dst);
void complexPartTo(const char* src, DType t, int64_t n, ComplexPart part, double* dst);
/// The same to doubles (int64 beyond 2^53 rounds: use the bytes for exact integers).
void toDoubles(const char* src, DType t, int64_t n, double* dst);
/// The exact text of the element stored at \a p as PyTorch prints values: integers in
/// full ("9223372036854775807"), floats in the shortest form that reads back as the
/// same value of their type ("0.1", "3.140625"), bool "True"/"False", complex "1+2j".
QString elementText(const char* p, DType t);
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
