// The pre-1.6 PyTorch checkpoint format (five pickles, then raw storages).
#pragma once

#include "WeightFile.h"

#include <QByteArray>
#include <memory>

class QFile;

namespace ws {

/// True when \a head starts with the legacy magic-number pickle.
bool isLegacyPyTorch(const QByteArray& head);
/// Reads a legacy checkpoint's structure; storages load lazily from their offsets.
/// Errors are "<problem>" without the file name (the caller adds it).
std::unique_ptr<WeightFile> readLegacyPyTorch(QFile& file, const QString& path, QString* error);

} // namespace ws
