// What the PyTorch reader keeps about a checkpoint's layout so that a later
// writer can save it faithfully: the zip entries and which storage each holds.
#pragma once

#include "WeightFile.h"

#include <QByteArray>
#include <QString>
#include <vector>

namespace ws {

/// One record of a PyTorch checkpoint (a zip entry, or a legacy storage block).
struct PyTorchRecord {
    QString name;                  ///< full zip name ("model/data/0"); the key for legacy blocks
    qint64 localHeaderOffset = -1; ///< -1 for legacy blocks
    qint64 dataOffset = 0;         ///< first data byte in the file
    qint64 compressedSize = 0;
    qint64 uncompressedSize = 0;
    quint32 crc32 = 0;  ///< 0 for legacy blocks
    quint16 method = 0; ///< zip compression method (0 stored)
    QString storageKey; ///< "0" for "<top>/data/0"; empty if the record is no storage
};

/// Layout of a PyTorch checkpoint as read.
class PyTorchZipState : public FormatState {
public:
    bool legacy = false;      ///< the pre-1.6 format (not a zip)
    bool torchScript = false; ///< a torch.jit.save archive (code/ and constants.pkl records)
    QString topFolder;        ///< "my.model.v2", "archive" (zip only)
    QByteArray dataPkl;       ///< the object pickle, byte for byte (legacy: the 4th pickle)
    std::vector<PyTorchRecord> records; ///< zip order, or the legacy key order
};

} // namespace ws
