// The zip format of torch.save (since 1.6) and of torch.jit.save (TorchScript).
#pragma once

#include "WeightFile.h"

#include <memory>

class QIODevice;

namespace ws {

/// Reads a zip checkpoint's structure from \a file (a QFile, or a URL through
/// ByteSourceDevice); storages load lazily from their records in \a path (a file or
/// that URL). Errors are "<problem>" without the file name (the caller adds it).
std::unique_ptr<WeightFile> readPyTorchZip(QIODevice& file, const QString& path, QString* error);

} // namespace ws
