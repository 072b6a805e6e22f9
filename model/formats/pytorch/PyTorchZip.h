// The zip format of torch.save (since 1.6) and of torch.jit.save (TorchScript).
#pragma once

#include "WeightFile.h"

#include <memory>

class QFile;

namespace ws {

/// Reads a zip checkpoint's structure; storages load lazily from their records.
/// Errors are "<problem>" without the file name (the caller adds it).
std::unique_ptr<WeightFile> readPyTorchZip(QFile& file, const QString& path, QString* error);

} // namespace ws
