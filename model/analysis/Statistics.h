// Summary statistics of a tensor's values, computed in double precision.
#pragma once

#include "Tensor.h"

#include <QString>
#include <atomic>

namespace ws {

/// Statistics of all elements (NaNs are counted, then skipped).
struct TensorStats {
    int64_t count = 0;
    double min = 0, max = 0, mean = 0, std = 0; ///< std is the population std (ddof = 0)
    double l2 = 0;
    double zeroFraction = 0;
    int64_t nanCount = 0, infCount = 0;
};

/// Accumulates statistics over values given piece by piece (exact: sums in double,
/// shifted by the first finite value).
class StatsAccumulator {
public:
    void add(const double* values, int64_t n);
    void add(const float* values, int64_t n);
    TensorStats result() const;

private:
    template <typename T> void addValues(const T* values, int64_t n);
    bool m_shifted = false;
    double m_shift = 0, m_sum = 0, m_sumSq = 0, m_sumShifted = 0, m_sumShiftedSq = 0;
    double m_lo = 0, m_hi = 0;
    int64_t m_count = 0, m_zeros = 0, m_finite = 0, m_nan = 0, m_inf = 0;
    bool m_any = false;
};

/// The statistics of \a t, read piece by piece (never all values at once); false with
/// \a error if it cannot be read or \a cancel becomes true.
bool computeStats(const Tensor& t, TensorStats* out, QString* error,
                  const std::atomic<bool>* cancel = nullptr);
/// Same over an already materialised block of values.
TensorStats computeStats(const float* values, int64_t n);

} // namespace ws
