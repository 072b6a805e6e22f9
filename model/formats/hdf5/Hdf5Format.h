// HDF5 files: Keras 2 .h5 models and weights, Keras 3 .weights.h5, and any other
// HDF5 file whose numeric datasets become tensors named by their paths.
#pragma once

#include "FileFormat.h"

namespace ws {

/// Reads HDF5 lazily (structure at open, a dataset's values when first shown) and
/// saves edits into a copy of the original file, leaving every other object as it was.
class Hdf5Format : public FileFormat {
public:
    QString id() const override { return QStringLiteral("hdf5"); }
    QString displayName() const override { return QStringLiteral("HDF5 / Keras"); }
    QStringList nameFilters() const override;
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool canWrite() const override { return true; }
    /// Copies the original file, writes the edited datasets into the copy with HDF5,
    /// syncs it and renames it over \a path. A file from another format is written
    /// as a fresh HDF5 file with one dataset per tensor.
    bool save(const WeightFile& file, const QString& path, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("h5"); }
};

/// "Dense" for "dense", "Conv2D" for "conv2d_3", "BatchNormalization" for
/// "batch_normalization": a Keras class name guessed from a layer's default name.
QString kerasClassFromLayerName(const QString& name);

/// How long the isolated first walk of a file's structure may take before the file
/// is called damaged (default 60 s; HDF5 1.10 loops forever on some damaged files).
void setHdf5StructureTimeout(int ms);

/// Largest decompressed size we read for one chunked dataset, given the file size.
qint64 hdf5ChunkedLimit(qint64 fileSize);

} // namespace ws
