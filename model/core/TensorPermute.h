// Permuted views of a tensor (no copy): used to show Keras' input-major kernels
// the way PyTorch stores them, (out, in, ...), and to map edits made in such a
// view back to the tensor's own coordinates.
#pragma once

#include "Region.h"
#include "Tensor.h"

#include <vector>

namespace ws {

/// The dimension order that shows an input-major kernel as PyTorch would store it:
/// (in, out) -> (out, in); (k, in, out) -> (out, in, k); (kh, kw, in, out) ->
/// (out, in, kh, kw); likewise for 3-D kernels. The identity for other tensors.
std::vector<int> pytorchOrder(const Tensor& t);
/// A view of \a t with dimension i of the view being dimension order[i] of \a t.
Tensor permutedView(const Tensor& t, const std::vector<int>& order);
/// \a viewRegion (in the permuted view's coordinates) in \a t's own coordinates.
Region regionToBase(const Region& viewRegion, const std::vector<int>& order);
/// \a baseRegion (in the tensor's own coordinates) in the permuted view's coordinates.
Region regionFromBase(const Region& baseRegion, const std::vector<int>& order);

} // namespace ws
