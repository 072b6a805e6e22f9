// Keras 3 `.keras` archives: a zip holding metadata.json, config.json and
// model.weights.h5 at its root, stored. The weights are the HDF5 file inside,
// read in place through the helper; the layer tree comes from config.json.
#pragma once

#include "FileFormat.h"

namespace ws {

/// Reads .keras archives lazily like HDF5 files and saves edits as a new archive:
/// model.weights.h5 rewritten with the edited variables, every other record byte
/// for byte.
class KerasArchiveFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("keras"); }
    QString displayName() const override { return QStringLiteral("Keras 3 model"); }
    QStringList nameFilters() const override { return {QStringLiteral("*.keras")}; }
    /// 3 for a zip whose first record is metadata.json, config.json or
    /// model.weights.h5 (Keras writes metadata.json first; PyTorch zips start with a
    /// top folder), 2 for another zip named *.keras, 0 otherwise.
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool canWrite() const override { return true; }
    /// Writes the edited variables into a copy of model.weights.h5 (in the HDF5
    /// helper), reads them back, then writes a new archive beside \a path with that
    /// record replaced and renames it over \a path. Only a .keras that was read can
    /// be saved as one: other formats hold no Keras model configuration.
    bool save(const WeightFile& file, const QString& path, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("keras"); }
};

/// Where model.weights.h5 lies in the .keras archive \a file was read from (its
/// byte range), so that Save As .h5 writes that very file; false for other files.
bool kerasWeightsRange(const WeightFile& file, qint64* offset, qint64* size);

} // namespace ws
