// The arithmetic of an edit on packed stored values: each dtype as PyTorch computes
// it (opmath float for 16-bit floats, exact 128-bit integers for integer types,
// complex for complex types), refusing results the dtype cannot hold.
#pragma once

#include "EditOperation.h"

#include <QString>
#include <random>

namespace ws {

/// Applies \a op (not Restore) to \a n packed little-endian elements of \a dtype at
/// \a bytes, in place. \a rng draws Uniform values in element order. False with
/// \a error when a result cannot be stored (an integer result outside the type's
/// range, a float8 result beyond its largest value); \a bytes are then partly changed.
bool applyToStored(const EditOperation& op, DType dtype, char* bytes, int64_t n,
                   std::mt19937_64* rng, QString* error);
/// Applies \a op to decoded values (quantized tensors: re-encoded afterwards).
void applyToFloats(const EditOperation& op, float* values, int64_t n, std::mt19937_64* rng);

} // namespace ws
