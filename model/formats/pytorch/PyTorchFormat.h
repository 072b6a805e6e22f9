// PyTorch checkpoints: the zip format (torch.save since 1.6) and the legacy
// pre-1.6 format, read through our own non-executing pickle reader.
#pragma once

#include "FileFormat.h"
#include "PyTorchWriter.h"

namespace ws {

/// Reads torch.save files without executing anything. Tensors are named by their
/// path through the pickled object: dict keys and list indices joined with '.'
/// ("model_state_dict.0.weight"), module tensors as "<module path>.<name>" for
/// whole-module pickles (WeightFile::modules lists every module), and a bare
/// tensor saved on its own is named "tensor". Storages load lazily; the file's
/// layout is kept in a PyTorchZipState.
class PyTorchFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("pytorch"); }
    QString displayName() const override { return QStringLiteral("PyTorch checkpoint"); }
    QStringList nameFilters() const override;
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool canWrite() const override { return true; }
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override {
        return writePyTorch(file, out, error);
    }
    QString defaultSuffix() const override { return QStringLiteral("pt"); }
};

} // namespace ws
