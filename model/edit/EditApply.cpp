// One loop per dtype family; the operand is converted once, as PyTorch converts a
// Python scalar before an in-place op.
#include "EditApply.h"

#include <cmath>
#include <complex>
#include <cstring>

namespace ws {

namespace {

template <typename T> T load(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <typename T> void store(char* p, T v) {
    std::memcpy(p, &v, sizeof v);
}

// Draws the values of a random operation: U(-a, a) or N(a, b^2).
class RandomDraw {
public:
    explicit RandomDraw(const EditOperation& op)
        : m_normal(op.kind == EditOperation::Kind::Normal), m_uniform(-op.a.re, op.a.re),
          m_gauss(op.a.re, op.kind == EditOperation::Kind::Normal ? op.b.re : 1.0) {}
    double operator()(std::mt19937_64& rng) { return m_normal ? m_gauss(rng) : m_uniform(rng); }

private:
    bool m_normal;
    std::uniform_real_distribution<double> m_uniform;
    std::normal_distribution<double> m_gauss;
};

template <typename T>
void applyFloat(const EditOperation& op, char* bytes, int64_t n, std::mt19937_64* rng) {
    if (op.isRandom()) {
        RandomDraw dist(op);
        for (int64_t i = 0; i < n; ++i)
            store(bytes + i * int64_t(sizeof(T)), T(dist(*rng)));
        return;
    }
    for (int64_t i = 0; i < n; ++i) {
        char* p = bytes + i * int64_t(sizeof(T));
        store(p, op.applyIn<T>(load<T>(p)));
    }
}

// float16, bfloat16 and float8: computed in float, the operand first cast to the
// tensor's type (as PyTorch casts the scalar), the result rounded to nearest even.
bool applyNarrowFloat(const EditOperation& op, DType dt, char* bytes, int64_t n,
                      std::mt19937_64* rng, QString* error) {
    const int es = dtypeSize(dt);
    const bool fp8 = dt == DType::Float8E4M3 || dt == DType::Float8E5M2;
    EditOperation rounded = op;
    if (!fp8) {
        rounded.a.re = roundTrip(dt, op.a.re);
        rounded.b.re = roundTrip(dt, op.b.re);
    }
    RandomDraw dist(op);
    for (int64_t i = 0; i < n; ++i) {
        char* p = bytes + i * es;
        const float v = float(readElement(p, dt));
        const float out = op.isRandom() ? float(dist(*rng)) : rounded.applyIn<float>(v);
        writeElement(p, dt, out);
        if (fp8 && std::isfinite(out) && !std::isfinite(readElement(p, dt))) {
            *error =
                QStringLiteral("a result (%1) lies outside the range of %2, [-%3, %3]; "
                               "PyTorch would store %4")
                    .arg(double(out))
                    .arg(dtypeName(dt))
                    .arg(fp8Max(dt))
                    .arg(dt == DType::Float8E4M3 ? QStringLiteral("NaN") : QStringLiteral("inf"));
            return false;
        }
    }
    return true;
}

Int128 loadInteger(const char* p, DType dt) {
    switch (dt) {
    case DType::Int64:
        return load<int64_t>(p);
    case DType::Int32:
        return load<int32_t>(p);
    case DType::Int16:
        return load<int16_t>(p);
    case DType::Int8:
        return load<int8_t>(p);
    case DType::UInt8:
        return load<uint8_t>(p);
    case DType::UInt16:
        return load<uint16_t>(p);
    case DType::UInt32:
        return load<uint32_t>(p);
    case DType::UInt64:
        return load<uint64_t>(p);
    default:
        return 0;
    }
}

void storeInteger(char* p, DType dt, Int128 v) {
    // v is in range: the low bytes are the value in two's complement.
    const int es = dtypeSize(dt);
    for (int k = 0; k < es; ++k)
        p[k] = char(uint8_t(uint64_t(v >> (8 * k)) & 0xff));
}

/// The operand as an exact integer: floats (Set only) truncate toward zero.
Int128 exact(const Scalar& s) {
    return s.isFloat ? Int128(std::trunc(s.re)) : s.integer;
}

bool applyInteger(const EditOperation& op, DType dt, char* bytes, int64_t n, QString* error) {
    Int128 lo = 0, hi = 0;
    integerRange(dt, &lo, &hi);
    const int es = dtypeSize(dt);
    const Int128 a = exact(op.a), b = exact(op.b);
    for (int64_t i = 0; i < n; ++i) {
        char* p = bytes + i * es;
        const Int128 v = loadInteger(p, dt);
        Int128 out = v;
        bool overflow = false;
        switch (op.kind) {
        case EditOperation::Kind::Set:
            out = a;
            break;
        case EditOperation::Kind::Add:
            overflow = __builtin_add_overflow(v, a, &out);
            break;
        case EditOperation::Kind::Subtract:
            overflow = __builtin_sub_overflow(v, a, &out);
            break;
        case EditOperation::Kind::Multiply:
            overflow = __builtin_mul_overflow(v, a, &out);
            break;
        case EditOperation::Kind::Clamp:
            out = v < a ? a : (v > b ? b : v);
            break;
        default:
            break;
        }
        if (overflow || out < lo || out > hi) {
            *error = QStringLiteral("%1 %2 gives %3, outside the range of %4, %5")
                         .arg(int128Text(v), op.expression(),
                              overflow ? QStringLiteral("a value") : int128Text(out), dtypeName(dt),
                              integerRangeText(dt));
            return false;
        }
        storeInteger(p, dt, out);
    }
    return true;
}

template <typename R> void applyComplex(const EditOperation& op, char* bytes, int64_t n) {
    using C = std::complex<R>;
    const C x(R(op.a.re), R(op.a.im));
    for (int64_t i = 0; i < n; ++i) {
        char* p = bytes + i * int64_t(2 * sizeof(R));
        const C v(load<R>(p), load<R>(p + sizeof(R)));
        C out = v;
        switch (op.kind) {
        case EditOperation::Kind::Set:
            out = x;
            break;
        case EditOperation::Kind::Add:
            out = v + x;
            break;
        case EditOperation::Kind::Subtract:
            out = v - x;
            break;
        case EditOperation::Kind::Multiply:
            out = v * x;
            break;
        case EditOperation::Kind::Divide:
            out = v / x;
            break;
        default:
            break;
        }
        store(p, out.real());
        store(p + sizeof(R), out.imag());
    }
}

} // namespace

bool applyToStored(const EditOperation& op, DType dt, char* bytes, int64_t n, std::mt19937_64* rng,
                   QString* error) {
    const QString refused = op.refusal(dt);
    if (!refused.isEmpty()) {
        *error = refused;
        return false;
    }
    switch (dt) {
    case DType::Float32:
        applyFloat<float>(op, bytes, n, rng);
        return true;
    case DType::Float64:
        applyFloat<double>(op, bytes, n, rng);
        return true;
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float8E4M3:
    case DType::Float8E5M2:
        return applyNarrowFloat(op, dt, bytes, n, rng, error);
    case DType::Bool:
        for (int64_t i = 0; i < n; ++i)
            bytes[i] = char(op.a.re != 0 || op.a.im != 0 ? 1 : 0);
        return true;
    case DType::Complex64:
        applyComplex<float>(op, bytes, n);
        return true;
    case DType::Complex128:
        applyComplex<double>(op, bytes, n);
        return true;
    default:
        return applyInteger(op, dt, bytes, n, error);
    }
}

void applyToFloats(const EditOperation& op, float* values, int64_t n, std::mt19937_64* rng) {
    if (op.isRandom()) {
        RandomDraw dist(op);
        for (int64_t i = 0; i < n; ++i)
            values[i] = float(dist(*rng));
        return;
    }
    for (int64_t i = 0; i < n; ++i)
        values[i] = op.applyIn<float>(values[i]);
}

} // namespace ws
