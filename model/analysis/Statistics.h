// Summary statistics of a tensor's values, computed in double precision.
#pragma once

#include "Tensor.h"

#include <QString>

namespace ws {

/// Statistics of all elements (NaNs are counted, then skipped).
struct TensorStats {
    int64_t count = 0;
    double min = 0, max = 0, mean = 0, std = 0; ///< std is the population std (ddof = 0)
    double l2 = 0;
    double zeroFraction = 0;
    int64_t nanCount = 0, infCount = 0;
};

/// Loads \a t and computes its statistics; false with \a error if it cannot be read.
bool computeStats(const Tensor& t, TensorStats* out, QString* error);
/// Same over an already materialised block of values.
TensorStats computeStats(const float* values, int64_t n);

} // namespace ws
