// What the NumPy reader keeps about a .npy or .npz file so that saving can
// keep every header, entry, byte order and memory order as they were.
#pragma once

#include "NpyHeader.h"
#include "WeightFile.h"
#include "ZipArchive.h"

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <vector>

namespace ws {

/// One array: its parsed header, the raw header bytes and what follows the data.
struct NpyArrayInfo {
    NpyHeader header;
    QByteArray headerBytes; ///< the first header.dataOffset bytes, kept as written
    qint64 trailing = 0;    ///< bytes after the data (kept on save)
};

/// One record of an .npz archive.
struct NpzEntryInfo {
    ZipEntry zip;
    QByteArray localHeader;    ///< the local file header with its name and extra field
    qint64 descriptorSize = 0; ///< data descriptor after the data (flag bit 3), else 0
    int tensorIndex = -1;      ///< the WeightFile tensor it holds, or -1 (not an array)
    NpyArrayInfo array;
};

/// Reader state for NumPy files.
class NumpyState : public FormatState {
public:
    bool isNpz = false;
    NpyArrayInfo npy;                  ///< for a .npy file
    std::vector<NpzEntryInfo> entries; ///< for an .npz file, in archive order
};

/// Offset of the zip64 extra field's data (after its 4-byte id and size) within
/// the local header \a localHeader, or -1 when it has none.
int zip64ExtraOffset(const QByteArray& localHeader);

/// Writes \a file faithfully as the .npy or .npz it was read from (\a state),
/// copying unedited data from \a file.path. False with \a error on failure.
bool writeNumpyFaithful(const WeightFile& file, const NumpyState& state, QIODevice* out,
                        QString* error);

/// Writes all tensors of \a file (any format) as a new stored .npz archive.
bool writeNpzConverted(const WeightFile& file, QIODevice* out, QString* error);

} // namespace ws
