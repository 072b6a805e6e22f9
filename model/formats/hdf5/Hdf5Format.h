// HDF5 files: Keras 2 .h5 models and weights, Keras 3 .weights.h5, and any other
// HDF5 file whose numeric datasets become tensors named by their paths.
#pragma once

#include "FileFormat.h"

namespace ws {

/// Reads HDF5 lazily (structure at open, a dataset's values when first shown) and
/// saves edits into a copy of the original file, leaving every other object as it was.
/// libhdf5 runs only in the helper program weightscope-hdf5 (see Hdf5Helper.h): a
/// crash or a hang on a damaged file becomes an error naming the file.
class Hdf5Format : public FileFormat {
public:
    QString id() const override { return QStringLiteral("hdf5"); }
    QString displayName() const override { return QStringLiteral("HDF5 / Keras"); }
    QStringList nameFilters() const override;
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool canWrite() const override { return true; }
    /// Copies the original file, writes the edited datasets into the copy with HDF5 (in
    /// the helper), reads them back, syncs the copy and renames it over \a path. A file from
    /// another format is written as a fresh HDF5 file with one dataset per tensor.
    bool save(const WeightFile& file, const QString& path, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("h5"); }
};

/// "Dense" for "dense", "Conv2D" for "conv2d_3", "BatchNormalization" for
/// "batch_normalization": a Keras class name guessed from a layer's default name.
QString kerasClassFromLayerName(const QString& name);

/// How long the helper may go without progress (a walk of a file's structure, a
/// dataset read) before the file is called damaged (default 60 s; HDF5 1.10 loops
/// forever on some damaged files). Sets Hdf5HelperLimits::timeoutMs.
void setHdf5StructureTimeout(int ms);

} // namespace ws
