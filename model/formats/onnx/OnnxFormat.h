// ONNX models (.onnx): the graph's initializers and Constant node values
// (subgraphs included) as tensors, external data read lazily, and saving that
// puts each edited tensor back into the field it came from.
#pragma once

#include "FileFormat.h"

namespace ws {

class OnnxFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("onnx"); }
    QString displayName() const override { return QStringLiteral("ONNX model"); }
    QStringList nameFilters() const override { return {QStringLiteral("*.onnx")}; }
    /// 2 when the first bytes parse as ModelProto fields starting with a plausible
    /// ir_version, 1 for the .onnx extension alone, else 0.
    int probe(const QByteArray& head, const QString& path) const override;
    /// Tensors are named as the model names them: initializer names, and the output
    /// name of each Constant node. Embedded data are converted when first needed;
    /// external data (data_location EXTERNAL) load lazily from their file.
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool canWrite() const override { return true; }
    /// Writes the model with edited embedded tensors; fails if an external tensor
    /// was edited (only save() can rewrite external files). A file of another
    /// format becomes a model whose graph holds only its tensors as initializers.
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override;
    /// Saves in this order: first every external data file (each a complete new
    /// file written atomically, same offsets, edited ranges replaced), then the
    /// model file atomically. If the model cannot be written after the external
    /// files were replaced, the old model still reads the new external files
    /// correctly (same offsets), with the edited values. A save to another model
    /// path whose external file would be the one the current model reads (same
    /// folder) writes the data to "<new model file name>.data" instead and points
    /// the new model there, so the original model is never changed.
    bool save(const WeightFile& file, const QString& path, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("onnx"); }
};

/// True when \a head starts like a serialized ModelProto (ir_version first, then
/// valid ModelProto fields as far as \a head reaches).
bool looksLikeOnnxModel(const QByteArray& head);

} // namespace ws
