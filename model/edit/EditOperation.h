// What an edit does to each value of its region: fill, add, multiply, clamp,
// re-initialise uniformly, restore the original, ... as PyTorch's in-place ops do,
// with the operand as typed: an exact integer, a float, or a complex number.
#pragma once

#include "DType.h"

#include <QString>
#include <cstdint>

namespace ws {

/// An edit's operand as the user wrote it. Integers are exact (any int64 or uint64
/// value); "0.5", "2.0", "1e3", "nan" are floats; "1+2j" is complex.
struct Scalar {
    double re = 0, im = 0; ///< the value as a (complex) double
    bool isFloat = false;  ///< written as a float (or complex): PyTorch's float scalar
    bool isComplex = false;
    Int128 integer = 0; ///< the exact value when !isFloat

    Scalar() = default;
    /// A double operand: integral values within 2^63 count as integers (as a Python
    /// int would be), others as floats.
    Scalar(double v); // NOLINT: implicit on purpose (EditOperation::set(0.5))
    static Scalar ofInteger(Int128 v);
    static Scalar ofComplex(double re, double im);
    operator double() const { return re; } // NOLINT
    /// Parses "0.1", "-3", "18446744073709551615", "1e-3", "nan", "-inf", "True",
    /// "1+2j", "2j", independent of the locale. False when it is not a number.
    static bool parse(const QString& text, Scalar* out);
    /// The operand as it would be typed back ("0.1", "3", "1+2j").
    QString text() const;
};

/// One in-place operation on the values of a region.
struct EditOperation {
    enum class Kind {
        Set,      ///< x = a            (fill_, zero_ with a = 0)
        Add,      ///< x += a
        Subtract, ///< x -= a
        Multiply, ///< x *= a
        Divide,   ///< x /= a
        Clamp,    ///< x = clamp(x, a, b)
        Uniform,  ///< x ~ U(-a, a), seeded: nn.Linear.reset_parameters with a = 1/sqrt(fan_in)
        Restore,  ///< x = the value as loaded from the file
        Normal,   ///< x ~ N(a, b^2), seeded: nn.Embedding.reset_parameters with a = 0, b = 1
    };
    Kind kind = Kind::Set;
    Scalar a, b;
    uint64_t seed = 0;

    static EditOperation set(Scalar v) { return {Kind::Set, v, 0.0, 0}; }
    static EditOperation add(Scalar v) { return {Kind::Add, v, 0.0, 0}; }
    static EditOperation subtract(Scalar v) { return {Kind::Subtract, v, 0.0, 0}; }
    static EditOperation multiply(Scalar v) { return {Kind::Multiply, v, 0.0, 0}; }
    static EditOperation divide(Scalar v) { return {Kind::Divide, v, 0.0, 0}; }
    static EditOperation clamp(Scalar lo, Scalar hi) { return {Kind::Clamp, lo, hi, 0}; }
    static EditOperation uniform(double bound, uint64_t seed) {
        return {Kind::Uniform, bound, 0.0, seed};
    }
    static EditOperation normal(double mean, double std, uint64_t seed) {
        return {Kind::Normal, mean, std, seed};
    }
    static EditOperation restore() { return {Kind::Restore, 0.0, 0.0, 0}; }

    /// Empty when the operation can be applied to a tensor of \a dtype, else why not,
    /// as PyTorch would refuse it ("result type Float can't be cast to int64": an
    /// integer tensor with a float operand for +=, -=, *=, /=; a value outside an
    /// integer type's range; clamp of complex values; ...).
    QString refusal(DType dtype) const;
    /// The new value of \a v computed in double (Set .. Clamp; real operands).
    double apply(double v) const;
    /// True for the operations that draw random values (Uniform, Normal).
    bool isRandom() const { return kind == Kind::Uniform || kind == Kind::Normal; }
    /// The same computed in \a M, PyTorch's "opmath" type: float for float32/float16/
    /// bfloat16 tensors, double for float64, so that results match PyTorch's bit for bit.
    template <typename M> M applyIn(M v) const {
        const M x = M(a.re);
        switch (kind) {
        case Kind::Set:
            return x;
        case Kind::Add:
            return v + x;
        case Kind::Subtract:
            return v - x;
        case Kind::Multiply:
            return v * x;
        case Kind::Divide:
            return v / x;
        case Kind::Clamp:
            return v != v ? v : (v < x ? x : (v > M(b.re) ? M(b.re) : v));
        default:
            return v;
        }
    }
    /// "= 0.1", "+= 0.5", "clamp to [-1, 1]", "re-initialise", "restore original"
    QString describe() const;
    /// The operation as an edit expression's right-hand side: "= 0.1", "*= 2"; empty
    /// for operations the expression language cannot write (Uniform, Restore).
    QString expression() const;
};

} // namespace ws
