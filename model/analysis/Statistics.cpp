// Tensor statistics in double precision: one pass of shifted sums (shifted by
// the first finite value, which keeps the variance accurate for data far from
// zero) with no division per element, so 40M values take tens of milliseconds.
#include "Statistics.h"

#include <cmath>
#include <limits>

namespace ws {

namespace {

template <typename T> TensorStats accumulate(const T* values, int64_t n) {
    TensorStats s;
    s.count = n;
    double shift = 0;
    int64_t i0 = 0;
    for (; i0 < n; ++i0)
        if (std::isfinite(double(values[i0]))) {
            shift = double(values[i0]);
            break;
        }
    double sum = 0, sumSq = 0, sumShifted = 0, sumShiftedSq = 0;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    int64_t zeros = 0, finite = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double v = double(values[i]);
        if (v != v) {
            ++s.nanCount;
            continue;
        }
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        zeros += v == 0;
        if (std::isinf(v)) {
            ++s.infCount;
            continue;
        }
        ++finite;
        sum += v;
        sumSq += v * v;
        const double d = v - shift;
        sumShifted += d;
        sumShiftedSq += d * d;
    }
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.zeroFraction = n ? double(zeros) / double(n) : 0;
    s.l2 = s.infCount ? std::numeric_limits<double>::infinity() : std::sqrt(sumSq);
    if (finite + s.infCount == 0) {
        s.min = s.max = s.mean = s.std = n ? nan : 0;
        return s;
    }
    s.min = lo;
    s.max = hi;
    if (s.infCount || finite == 0) {
        s.mean = s.std = nan;
        return s;
    }
    const double f = double(finite);
    s.mean = sum / f;
    const double var = (sumShiftedSq - sumShifted * sumShifted / f) / f;
    s.std = std::sqrt(std::max(0.0, var));
    return s;
}

} // namespace

bool computeStats(const Tensor& t, TensorStats* out, QString* error) {
    std::vector<double> values;
    if (!t.valuesDouble(&values, error)) return false;
    *out = accumulate(values.data(), int64_t(values.size()));
    return true;
}

TensorStats computeStats(const float* values, int64_t n) {
    return accumulate(values, n);
}

} // namespace ws
