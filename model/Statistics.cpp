// Tensor statistics in double precision with Welford's update for the variance.
#include "Statistics.h"

#include <cmath>
#include <limits>

namespace ws {

namespace {

struct Accumulator {
    TensorStats s;
    double m2 = 0, sumSq = 0;
    int64_t zeros = 0, finite = 0;
    bool first = true;

    void add(double v) {
        ++s.count;
        if (std::isnan(v)) {
            ++s.nanCount;
            return;
        }
        if (std::isinf(v)) ++s.infCount;
        if (v == 0) ++zeros;
        if (first) {
            s.min = s.max = v;
            first = false;
        } else {
            if (v < s.min) s.min = v;
            if (v > s.max) s.max = v;
        }
        ++finite;
        const double delta = v - s.mean;
        s.mean += delta / double(finite);
        m2 += delta * (v - s.mean);
        sumSq += v * v;
    }

    TensorStats finish() {
        if (finite > 0) s.std = std::sqrt(std::max(0.0, m2 / double(finite)));
        s.l2 = std::sqrt(sumSq);
        s.zeroFraction = s.count ? double(zeros) / double(s.count) : 0;
        if (s.infCount) { // Welford's mean is meaningless with infinities
            s.mean = std::numeric_limits<double>::quiet_NaN();
            s.std = std::numeric_limits<double>::quiet_NaN();
        }
        if (finite == 0 && s.count > 0)
            s.min = s.max = s.mean = s.std = std::numeric_limits<double>::quiet_NaN();
        return s;
    }
};

} // namespace

bool computeStats(const Tensor& t, TensorStats* out, QString* error) {
    std::vector<double> values;
    if (!t.valuesDouble(&values, error)) return false;
    Accumulator acc;
    for (double v : values)
        acc.add(v);
    *out = acc.finish();
    return true;
}

TensorStats computeStats(const float* values, int64_t n) {
    Accumulator acc;
    for (int64_t i = 0; i < n; ++i)
        acc.add(values[i]);
    return acc.finish();
}

} // namespace ws
