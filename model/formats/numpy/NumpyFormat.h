// NumPy arrays: a single .npy (the tensor is named after the file's base name,
// "conv1.weight.npy" -> "conv1.weight") and .npz archives of .npy entries
// (np.savez stored, np.savez_compressed deflated), read lazily and saved
// faithfully.
#pragma once

#include "FileFormat.h"

namespace ws {

class NumpyFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("numpy"); }
    QString displayName() const override { return QStringLiteral("NumPy array"); }
    QStringList nameFilters() const override {
        return {QStringLiteral("*.npy"), QStringLiteral("*.npz")};
    }
    /// 2 for the .npy magic and for a zip whose first record is named "*.npy";
    /// 1 for the .npy/.npz extension.
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    /// A .npy by URL (an .npz by URL is refused: its zip directory is not read by range).
    bool readsUrls() const override { return true; }
    bool canWrite() const override { return true; }
    /// Saves a file read as NumPy with its headers, byte order, memory order,
    /// entry order and compression kept; a file of another format becomes an
    /// .npz of stored C-order little-endian arrays.
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("npz"); }
};

} // namespace ws
