// PyTorch checkpoints: the zip format (torch.save since 1.6) and the legacy
// pre-1.6 format, read through our own non-executing pickle reader.
#pragma once

#include "FileFormat.h"
#include "PyTorchWriter.h"

namespace ws {

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
