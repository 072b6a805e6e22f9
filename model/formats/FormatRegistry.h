// The registry: the only place that knows every format. It detects a file's
// format from its content (then its name) and opens it.
#pragma once

#include "FileFormat.h"

#include <vector>

namespace ws {

/// The registered format with FileFormat::id() \a id, or null.
const FileFormat* formatById(const QString& id);
/// Every registered format, in detection order.
const std::vector<const FileFormat*>& fileFormats();
/// The format of \a path by content (then name), or null with \a error set.
const FileFormat* detectFormat(const QString& path, QString* error);
/// Detects and reads \a path.
std::unique_ptr<WeightFile> openWeightFile(const QString& path, QString* error,
                                           const ProgressFn& progress = {});
/// "Weight files (*.pt *.pth ...);;PyTorch checkpoint (*.pt ...);;..." for QFileDialog.
QString openDialogFilter();

} // namespace ws
