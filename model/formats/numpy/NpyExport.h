// Export of one tensor's values to NumPy .npy (exact, original dtype) and to CSV.
#pragma once

#include "Tensor.h"

#include <QString>

namespace ws {

/// The .npy descr our writer uses for \a t ("<f4", "|b1", ...): the tensor's own
/// type, except bfloat16 and float8, which become "<f4" (exact).
QString npyDescr(DType t);

/// Writes \a t as a version 1.0 .npy (C order, little-endian, header padded to
/// 64 bytes like numpy). Views are gathered in logical order. The file is
/// replaced atomically. False with \a error naming the file on failure.
bool writeNpy(const Tensor& t, const QString& path, QString* error);

/// Writes the 2-D view of \a t (rows() lines of cols() comma-separated values)
/// with full precision: %.9g for float32 (and the narrower floats), %.17g for
/// float64, integers as integers, complex as "re+imj". Atomic like writeNpy.
bool writeCsv(const Tensor& t, const QString& path, QString* error);

} // namespace ws
