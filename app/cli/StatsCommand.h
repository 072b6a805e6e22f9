// `weightscope stats` and the tensor argument shared with `export`: a name as
// `weightscope info` lists it, optionally indexed ("conv.weight[0, :, 1]").
#pragma once

#include "WeightFile.h"

#include <QString>
#include <QStringList>

namespace ws::cli {

/// The tensor (or indexed view) \a spec names in \a file; null after reporting on
/// stderr, with \a code set to BadUsage (malformed index) or BadInput (unknown
/// tensor, index out of range).
TensorPtr tensorArgument(const WeightFile& file, const QString& path, const QString& spec,
                         int* code);

int runStats(const QStringList& args);
QString statsHelp();

} // namespace ws::cli
