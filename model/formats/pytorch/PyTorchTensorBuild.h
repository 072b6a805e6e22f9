// Internal to the PyTorch reader: builds the Tensor one rebuild call describes
// (strided, quantized with its scales read, sparse with its components), or a
// tensor that carries the problem that keeps it from being read.
#pragma once

#include "PyTorchObjects.h"
#include "PyTorchTensorSpec.h"

namespace ws {
namespace detail {

/// Builds \a spec's tensor named \a name. Returns null with \a unsupported set for a
/// well-formed tensor of a kind we do not read (\a why says which); otherwise a
/// tensor, with Tensor::problem set when it is damaged.
TensorPtr buildPyTorchTensor(const TensorSpec& spec, const QString& name,
                             const PyTorchStorageResolver& resolver, bool* unsupported,
                             QString* why);

} // namespace detail
} // namespace ws
