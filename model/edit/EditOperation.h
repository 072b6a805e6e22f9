// What an edit does to each value of its region: fill, add, multiply, clamp,
// re-initialise uniformly, restore the original, ... as in PyTorch's in-place ops.
#pragma once

#include <QString>
#include <cstdint>

namespace ws {

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
    };
    Kind kind = Kind::Set;
    double a = 0, b = 0;
    uint64_t seed = 0;

    static EditOperation set(double v) { return {Kind::Set, v, 0, 0}; }
    static EditOperation add(double v) { return {Kind::Add, v, 0, 0}; }
    static EditOperation subtract(double v) { return {Kind::Subtract, v, 0, 0}; }
    static EditOperation multiply(double v) { return {Kind::Multiply, v, 0, 0}; }
    static EditOperation divide(double v) { return {Kind::Divide, v, 0, 0}; }
    static EditOperation clamp(double lo, double hi) { return {Kind::Clamp, lo, hi, 0}; }
    static EditOperation uniform(double bound, uint64_t seed) {
        return {Kind::Uniform, bound, 0, seed};
    }
    static EditOperation restore() { return {Kind::Restore, 0, 0, 0}; }

    /// The new value of \a v (Set .. Clamp; Uniform and Restore are applied by the command),
    /// computed in double.
    double apply(double v) const;
    /// The same computed in \a M, PyTorch's "opmath" type: float for float32/float16/
    /// bfloat16 tensors, double for float64, so that results match PyTorch's bit for bit.
    template <typename M> M applyIn(M v) const {
        const M x = M(a);
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
            return v != v ? v : (v < x ? x : (v > M(b) ? M(b) : v));
        default:
            return v;
        }
    }
    /// "= 0.1", "+= 0.5", "clamp to [-1, 1]", "re-initialise", "restore original"
    QString describe() const;
};

} // namespace ws
