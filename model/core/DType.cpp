// Element type names, sizes and conversions, including float16/bfloat16 with
// PyTorch's round-to-nearest-even.
#include "DType.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace ws {

namespace {

struct TypeInfo {
    DType type;
    const char* name;
    int size;
};

constexpr TypeInfo kTypes[] = {
    {DType::Float32, "float32", 4},
    {DType::Float16, "float16", 2},
    {DType::BFloat16, "bfloat16", 2},
    {DType::Float64, "float64", 8},
    {DType::Int64, "int64", 8},
    {DType::Int32, "int32", 4},
    {DType::Int16, "int16", 2},
    {DType::Int8, "int8", 1},
    {DType::UInt8, "uint8", 1},
    {DType::Bool, "bool", 1},
    {DType::UInt16, "uint16", 2},
    {DType::UInt32, "uint32", 4},
    {DType::UInt64, "uint64", 8},
    {DType::Float8E4M3, "float8_e4m3fn", 1},
    {DType::Float8E5M2, "float8_e5m2", 1},
    {DType::Complex64, "complex64", 8},
    {DType::Complex128, "complex128", 16},
};

const TypeInfo& info(DType t) {
    for (const auto& i : kTypes)
        if (i.type == t) return i;
    return kTypes[0];
}

template <typename T> T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

template <typename T> void store(char* p, T v) {
    std::memcpy(p, &v, sizeof v);
}

// PyTorch converts floating values to integers by truncation; out-of-range
// values wrap like a C cast through int64.
template <typename T> T toInteger(double v) {
    if (std::isnan(v)) return 0;
    double t = std::trunc(v);
    if (t >= 9.2233720368547758e18 || t < -9.2233720368547758e18)
        return static_cast<T>(std::numeric_limits<int64_t>::min());
    return static_cast<T>(static_cast<int64_t>(t));
}

double fp8ToDouble(uint8_t b, int expBits, int manBits, bool e4m3fn) {
    int sign = b >> 7;
    int exp = (b >> manBits) & ((1 << expBits) - 1);
    int man = b & ((1 << manBits) - 1);
    int bias = (1 << (expBits - 1)) - 1;
    double v;
    if (e4m3fn && exp == 15 && man == 7) return std::numeric_limits<double>::quiet_NaN();
    if (!e4m3fn && exp == 31)
        return man ? std::numeric_limits<double>::quiet_NaN() : (sign ? -HUGE_VAL : HUGE_VAL);
    if (exp == 0)
        v = std::ldexp(man, 1 - bias - manBits);
    else
        v = std::ldexp(man + (1 << manBits), exp - bias - manBits);
    return sign ? -v : v;
}

} // namespace

QString dtypeName(DType t) {
    return QString::fromLatin1(info(t).name);
}

std::optional<DType> dtypeFromName(const QString& name) {
    QString n = name.startsWith(QLatin1String("torch.")) ? name.mid(6) : name;
    for (const auto& i : kTypes)
        if (n == QLatin1String(i.name)) return i.type;
    if (n == QLatin1String("float") || n == QLatin1String("float")) return DType::Float32;
    if (n == QLatin1String("half")) return DType::Float16;
    if (n == QLatin1String("double")) return DType::Float64;
    if (n == QLatin1String("long")) return DType::Int64;
    if (n == QLatin1String("int")) return DType::Int32;
    if (n == QLatin1String("short")) return DType::Int16;
    if (n == QLatin1String("cfloat")) return DType::Complex64;
    if (n == QLatin1String("cdouble")) return DType::Complex128;
    return std::nullopt;
}

int dtypeSize(DType t) {
    return info(t).size;
}

bool isFloatingPoint(DType t) {
    switch (t) {
    case DType::Float32:
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float64:
    case DType::Float8E4M3:
    case DType::Float8E5M2:
    case DType::Complex64:
    case DType::Complex128:
        return true;
    default:
        return false;
    }
}

namespace {

// Each part, in the enum's order: numpy's name (the command line's word), its title,
// another accepted word.
struct ComplexPartInfo {
    ComplexPart part;
    const char* name;
    const char* title;
    const char* alias;
};
const ComplexPartInfo kComplexParts[] = {
    {ComplexPart::Real, "real", "Real", "real"},
    {ComplexPart::Imaginary, "imag", "Imaginary", "imaginary"},
    {ComplexPart::Magnitude, "abs", "Magnitude", "magnitude"},
    {ComplexPart::Phase, "angle", "Phase (rad)", "phase"},
};

} // namespace

QString complexPartName(ComplexPart p) {
    return QLatin1String(kComplexParts[int(p)].name);
}

QString complexPartTitle(ComplexPart p) {
    return QLatin1String(kComplexParts[int(p)].title);
}

std::optional<ComplexPart> complexPartFromName(const QString& name) {
    const QString n = name.trimmed().toLower();
    for (const ComplexPartInfo& i : kComplexParts)
        if (n == QLatin1String(i.name) || n == QLatin1String(i.alias)) return i.part;
    return std::nullopt;
}

namespace {

template <typename D>
void complexPartOf(const char* src, DType t, int64_t n, ComplexPart part, D* dst) {
    const bool wide = t == DType::Complex128;
    const int size = wide ? 16 : 8;
    for (int64_t i = 0; i < n; ++i, src += size) {
        double re, im;
        if (wide) {
            std::memcpy(&re, src, 8);
            std::memcpy(&im, src + 8, 8);
        } else {
            float r, j;
            std::memcpy(&r, src, 4);
            std::memcpy(&j, src + 4, 4);
            re = r;
            im = j;
        }
        double v = re;
        switch (part) {
        case ComplexPart::Real:
            break;
        case ComplexPart::Imaginary:
            v = im;
            break;
        case ComplexPart::Magnitude:
            v = std::hypot(re, im);
            break;
        case ComplexPart::Phase:
            v = std::atan2(im, re);
            break;
        }
        dst[i] = D(v);
    }
}

} // namespace

void complexPartTo(const char* src, DType t, int64_t n, ComplexPart part, float* dst) {
    complexPartOf(src, t, n, part, dst);
}

void complexPartTo(const char* src, DType t, int64_t n, ComplexPart part, double* dst) {
    complexPartOf(src, t, n, part, dst);
}

bool isComplex(DType t) {
    return t == DType::Complex64 || t == DType::Complex128;
}

bool isInteger(DType t) {
    Int128 lo, hi;
    return integerRange(t, &lo, &hi);
}

bool integerRange(DType t, Int128* lo, Int128* hi) {
    switch (t) {
    case DType::Int64:
        *lo = std::numeric_limits<int64_t>::min(), *hi = std::numeric_limits<int64_t>::max();
        return true;
    case DType::Int32:
        *lo = std::numeric_limits<int32_t>::min(), *hi = std::numeric_limits<int32_t>::max();
        return true;
    case DType::Int16:
        *lo = std::numeric_limits<int16_t>::min(), *hi = std::numeric_limits<int16_t>::max();
        return true;
    case DType::Int8:
        *lo = std::numeric_limits<int8_t>::min(), *hi = std::numeric_limits<int8_t>::max();
        return true;
    case DType::UInt8:
        *lo = 0, *hi = std::numeric_limits<uint8_t>::max();
        return true;
    case DType::UInt16:
        *lo = 0, *hi = std::numeric_limits<uint16_t>::max();
        return true;
    case DType::UInt32:
        *lo = 0, *hi = std::numeric_limits<uint32_t>::max();
        return true;
    case DType::UInt64:
        *lo = 0, *hi = std::numeric_limits<uint64_t>::max();
        return true;
    default:
        return false;
    }
}

QString int128Text(Int128 v) {
    if (v == 0) return QStringLiteral("0");
    const bool negative = v < 0;
    QString digits;
    while (v != 0) {
        const int d = int(v % 10);
        digits.prepend(QChar(u'0' + (negative ? -d : d)));
        v /= 10;
    }
    return negative ? QLatin1Char('-') + digits : digits;
}

QString integerRangeText(DType t) {
    Int128 lo = 0, hi = 0;
    if (!integerRange(t, &lo, &hi)) return QString();
    return QStringLiteral("[%1, %2]").arg(int128Text(lo), int128Text(hi));
}

float halfToFloat(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { // subnormal: value = man * 2^-24
            float f = std::ldexp(float(man), -24);
            return sign ? -f : f;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t floatToHalf(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint16_t sign = uint16_t((x >> 16) & 0x8000);
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) // inf or nan
        return uint16_t(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
    if (absx >= 0x477ff000u) // rounds to >= 65520: overflow to inf
        return uint16_t(sign | 0x7c00);
    if (absx < 0x38800000u) { // below the smallest normal half: subnormal or zero
        // value in units of 2^-24, rounded to nearest even
        float a;
        std::memcpy(&a, &absx, 4);
        float scaled = std::ldexp(a, 24);
        float r = std::nearbyint(scaled); // default rounding mode: nearest even
        return uint16_t(sign | uint16_t(r));
    }
    uint32_t mant = absx & 0x7fffff;
    uint32_t exp = (absx >> 23) - 112;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
    return uint16_t(sign | h);
}

float bfloat16ToFloat(uint16_t b) {
    uint32_t bits = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t floatToBFloat16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40); // quiet nan
    uint32_t lsb = (x >> 16) & 1;
    x += 0x7fffu + lsb;
    return uint16_t(x >> 16);
}

uint8_t floatToFp8(float f, DType t) {
    const bool e4m3 = t == DType::Float8E4M3;
    const int manBits = e4m3 ? 3 : 2, bias = e4m3 ? 7 : 15;
    const uint8_t nan = e4m3 ? 0x7f : 0x7e, inf = 0x7c;
    const uint8_t sign = std::signbit(f) ? 0x80 : 0;
    if (std::isnan(f)) return uint8_t(sign | nan);
    const double a = std::fabs(double(f));
    if (std::isinf(f)) return e4m3 ? uint8_t(sign | nan) : uint8_t(sign | inf);
    if (a == 0) return sign;
    int e = std::ilogb(a);
    const int minExp = 1 - bias;
    uint32_t code;
    if (e < minExp) { // subnormal: units of 2^(minExp - manBits), rounded to nearest even
        const double q = std::nearbyint(std::ldexp(a, manBits - minExp));
        code = uint32_t(q); // q == 2^manBits is the smallest normal: the bits agree
    } else {
        double q = std::nearbyint(std::ldexp(a, manBits - e)); // in [2^man, 2^(man+1)]
        if (q >= double(1 << (manBits + 1))) {
            q /= 2;
            ++e;
        }
        code = (uint32_t(e + bias) << manBits) | (uint32_t(q) - (1u << manBits));
    }
    if (e4m3) {
        if (code > 0x7e) return uint8_t(sign | nan); // past 448 (464 and above): NaN
    } else if (code >= 0x7c) {
        return uint8_t(sign | inf); // 61440 and above: inf
    }
    return uint8_t(sign | code);
}

double fp8Max(DType t) {
    return t == DType::Float8E4M3 ? 448.0 : 57344.0;
}

namespace {

QString shortestFloat(double v, bool single) {
    if (std::isnan(v)) return QStringLiteral("nan");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    char buf[64];
    const auto r = single ? std::to_chars(buf, buf + sizeof buf, float(v))
                          : std::to_chars(buf, buf + sizeof buf, v);
    return QString::fromLatin1(buf, int(r.ptr - buf));
}

} // namespace

QString elementText(const char* p, DType t) {
    switch (t) {
    case DType::Float64:
        return shortestFloat(load<double>(p), false);
    case DType::Bool:
        return load<uint8_t>(p) ? QStringLiteral("True") : QStringLiteral("False");
    case DType::Complex64:
    case DType::Complex128: {
        const bool wide = t == DType::Complex128;
        const double re = wide ? load<double>(p) : load<float>(p);
        const double im = wide ? load<double>(p + 8) : load<float>(p + 4);
        const QString imText = shortestFloat(im, !wide);
        return QStringLiteral("%1%2%3j").arg(
            shortestFloat(re, !wide),
            imText.startsWith(QLatin1Char('-')) ? QString() : QStringLiteral("+"), imText);
    }
    default: {
        Int128 lo, hi;
        if (integerRange(t, &lo, &hi)) {
            Int128 v = 0;
            switch (t) {
            case DType::Int64:
                v = load<int64_t>(p);
                break;
            case DType::Int32:
                v = load<int32_t>(p);
                break;
            case DType::Int16:
                v = load<int16_t>(p);
                break;
            case DType::Int8:
                v = load<int8_t>(p);
                break;
            case DType::UInt8:
                v = load<uint8_t>(p);
                break;
            case DType::UInt16:
                v = load<uint16_t>(p);
                break;
            case DType::UInt32:
                v = load<uint32_t>(p);
                break;
            default:
                v = load<uint64_t>(p);
                break;
            }
            return int128Text(v);
        }
        const double v = readElement(p, t);
        if (t != DType::Float32 && std::isfinite(v)) {
            // 16- and 8-bit floats: whole numbers as they are ("448", not "4.5e+02"), else
            // the shortest text that is stored as the same value ("0.1" for the float16
            // nearest 0.1, not its float32 digits), positional as Python prints between
            // 1e-4 and 1e16.
            if (v == std::trunc(v) && std::fabs(v) < 1e16) return QString::number(v, 'f', 0);
            for (int digits = 1; digits <= 9; ++digits) {
                QString s = QString::number(v, 'g', digits);
                if (roundTrip(t, s.toDouble()) != v) continue;
                const double a = std::fabs(v);
                if (s.contains(QLatin1Char('e')) && a >= 1e-4 && a < 1e16) {
                    const int exponent = int(std::floor(std::log10(a)));
                    s = QString::number(s.toDouble(), 'f', std::max(0, digits - 1 - exponent));
                }
                return s;
            }
        }
        return shortestFloat(v, true);
    }
    }
}

double readElement(const char* p, DType t) {
    switch (t) {
    case DType::Float32:
        return load<float>(p);
    case DType::Float16:
        return halfToFloat(load<uint16_t>(p));
    case DType::BFloat16:
        return bfloat16ToFloat(load<uint16_t>(p));
    case DType::Float64:
        return load<double>(p);
    case DType::Int64:
        return double(load<int64_t>(p));
    case DType::Int32:
        return load<int32_t>(p);
    case DType::Int16:
        return load<int16_t>(p);
    case DType::Int8:
        return load<int8_t>(p);
    case DType::UInt8:
        return load<uint8_t>(p);
    case DType::Bool:
        return load<uint8_t>(p) != 0 ? 1.0 : 0.0;
    case DType::UInt16:
        return load<uint16_t>(p);
    case DType::UInt32:
        return load<uint32_t>(p);
    case DType::UInt64:
        return double(load<uint64_t>(p));
    case DType::Float8E4M3:
        return fp8ToDouble(load<uint8_t>(p), 4, 3, true);
    case DType::Float8E5M2:
        return fp8ToDouble(load<uint8_t>(p), 5, 2, false);
    case DType::Complex64:
        return load<float>(p);
    case DType::Complex128:
        return load<double>(p);
    }
    return 0;
}

void writeElement(char* p, DType t, double v) {
    switch (t) {
    case DType::Float32:
        store(p, float(v));
        break;
    case DType::Float16:
        store(p, floatToHalf(float(v)));
        break;
    case DType::BFloat16:
        store(p, floatToBFloat16(float(v)));
        break;
    case DType::Float64:
        store(p, v);
        break;
    case DType::Int64:
        store(p, toInteger<int64_t>(v));
        break;
    case DType::Int32:
        store(p, toInteger<int32_t>(v));
        break;
    case DType::Int16:
        store(p, toInteger<int16_t>(v));
        break;
    case DType::Int8:
        store(p, toInteger<int8_t>(v));
        break;
    case DType::UInt8:
        store(p, toInteger<uint8_t>(v));
        break;
    case DType::Bool:
        store(p, uint8_t(v != 0 ? 1 : 0));
        break;
    case DType::UInt16:
        store(p, toInteger<uint16_t>(v));
        break;
    case DType::UInt32:
        store(p, toInteger<uint32_t>(v));
        break;
    case DType::UInt64:
        store(p, toInteger<uint64_t>(v));
        break;
    case DType::Float8E4M3:
    case DType::Float8E5M2:
        store(p, floatToFp8(float(v), t));
        break;
    case DType::Complex64: // a real value: imaginary part 0
        store(p, float(v));
        store(p + 4, 0.0f);
        break;
    case DType::Complex128:
        store(p, v);
        store(p + 8, 0.0);
        break;
    }
}

double roundTrip(DType t, double v) {
    char buf[16] = {};
    writeElement(buf, t, v);
    return readElement(buf, t);
}

void widenToFloatInPlace(void* buffer, int64_t n, DType t) {
    // Loads and stores go through memcpy on bytes: they overlap, and must stay in order.
    auto* bytes = static_cast<unsigned char*>(buffer);
    const bool bf16 = t == DType::BFloat16;
    for (int64_t i = n; i-- > 0;) {
        uint16_t v = 0;
        std::memcpy(&v, bytes + 2 * i, 2);
        const float f = bf16 ? bfloat16ToFloat(v) : halfToFloat(v);
        std::memcpy(bytes + 4 * i, &f, 4);
    }
}

} // namespace ws
