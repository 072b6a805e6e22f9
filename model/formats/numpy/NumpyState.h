// What the NumPy reader keeps about a .npy or .npz file so that saving can
// keep every header, entry, byte order and memory order as they were.
#pragma once

#include "NpyHeader.h"
#include "WeightFile.h"
#include "ZipRewrite.h"

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
struct NpzEntryInfo : ZipRecord {
    int tensorIndex = -1; ///< the WeightFile tensor it holds, or -1 (not an array)
    /// Its tensor has a Tensor::problem (an object array, a truncated record): the
    /// record is always copied as it is; \a array may be incomplete.
    bool unreadable = false;
    NpyArrayInfo array;
};

/// Reader state for NumPy files.
class NumpyState : public FormatState {
public:
    bool isNpz = false;
    NpyArrayInfo npy;                  ///< for a .npy file
    std::vector<NpzEntryInfo> entries; ///< for an .npz file, in archive order
};

/// Writes \a file faithfully as the .npy or .npz it was read from (\a state),
/// copying unedited data from \a file.path. False with \a error on failure.
bool writeNumpyFaithful(const WeightFile& file, const NumpyState& state, QIODevice* out,
                        QString* error);

/// Writes all tensors of \a file (any format) as a new stored .npz archive.
bool writeNpzConverted(const WeightFile& file, QIODevice* out, QString* error);

} // namespace ws
