// Tensor statistics in double precision: one pass of shifted sums (shifted by
// the first finite value, which keeps the variance accurate for data far from
// zero) with no division per element, so 40M values take tens of milliseconds.
#include "Statistics.h"

#include <cmath>
#include <limits>

namespace ws {

template <typename T> void StatsAccumulator::addValues(const T* values, int64_t n) {
    m_count += n;
    if (!m_shifted)
        for (int64_t i = 0; i < n; ++i)
            if (std::isfinite(double(values[i]))) {
                m_shift = double(values[i]);
                m_shifted = true;
                break;
            }
    double sum = 0, sumSq = 0, sumShifted = 0, sumShiftedSq = 0;
    double lo = m_any ? m_lo : std::numeric_limits<double>::infinity();
    double hi = m_any ? m_hi : -std::numeric_limits<double>::infinity();
    const double shift = m_shift;
    int64_t zeros = 0, finite = 0, nans = 0, infs = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double v = double(values[i]);
        if (v != v) {
            ++nans;
            continue;
        }
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        zeros += v == 0;
        if (std::isinf(v)) {
            ++infs;
            continue;
        }
        ++finite;
        sum += v;
        sumSq += v * v;
        const double d = v - shift;
        sumShifted += d;
        sumShiftedSq += d * d;
    }
    m_any = m_any || lo <= hi;
    m_lo = lo;
    m_hi = hi;
    m_sum += sum;
    m_sumSq += sumSq;
    m_sumShifted += sumShifted;
    m_sumShiftedSq += sumShiftedSq;
    m_zeros += zeros;
    m_finite += finite;
    m_nan += nans;
    m_inf += infs;
}

void StatsAccumulator::add(const double* values, int64_t n) {
    addValues(values, n);
}

void StatsAccumulator::add(const float* values, int64_t n) {
    addValues(values, n);
}

TensorStats StatsAccumulator::result() const {
    TensorStats s;
    const int64_t n = m_count;
    s.count = n;
    s.nanCount = m_nan;
    s.infCount = m_inf;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    s.zeroFraction = n ? double(m_zeros) / double(n) : 0;
    s.l2 = s.infCount ? std::numeric_limits<double>::infinity() : std::sqrt(m_sumSq);
    if (m_finite + s.infCount == 0) {
        s.min = s.max = s.mean = s.std = n ? nan : 0;
        return s;
    }
    s.min = m_lo;
    s.max = m_hi;
    if (s.infCount || m_finite == 0) {
        s.mean = s.std = nan;
        return s;
    }
    const double f = double(m_finite);
    s.mean = m_sum / f;
    const double var = (m_sumShiftedSq - m_sumShifted * m_sumShifted / f) / f;
    s.std = std::sqrt(std::max(0.0, var));
    return s;
}

bool computeStats(const Tensor& t, TensorStats* out, QString* error,
                  const std::atomic<bool>* cancel) {
    const QString problem = t.problem.isEmpty() ? t.validate() : t.problem;
    if (!problem.isEmpty()) {
        if (error) *error = problem;
        return false;
    }
    StatsAccumulator acc;
    const int64_t n = t.numel();
    constexpr int64_t kPiece = int64_t(1) << 20;
    std::vector<double> buf(size_t(std::min(n, kPiece)));
    for (int64_t done = 0; done < n;) {
        if (cancel && cancel->load()) {
            if (error) *error = QStringLiteral("cancelled");
            return false;
        }
        const int64_t k = std::min(kPiece, n - done);
        if (!t.readDoubles(done, k, buf.data(), error)) return false;
        acc.add(buf.data(), k);
        done += k;
    }
    *out = acc.result();
    return true;
}

TensorStats computeStats(const float* values, int64_t n) {
    StatsAccumulator acc;
    acc.add(values, n);
    return acc.result();
}

} // namespace ws
