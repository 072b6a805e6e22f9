// Rewriting an existing zip archive record by record, as .npz and .keras saves
// do: untouched records are copied byte for byte (local header, data, data
// descriptor), replaced ones get a patched copy of their local header and new
// data; the central directory is written anew, with zip64 fields where Python's
// zipfile puts them.
#pragma once

#include "ZipArchive.h"

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <functional>
#include <vector>

class QIODevice;

namespace ws {

/// One record of an existing archive with what its local header says.
struct ZipRecord {
    ZipEntry zip;
    QByteArray localHeader;    ///< the local file header with its name and extra field
    qint64 descriptorSize = 0; ///< data descriptor after the data (flag bit 3), else 0
};

/// Reads the local header of \a e from the open \a file and finds its data
/// descriptor. False with \a problem (encrypted, descriptor missing, unreadable).
bool readZipRecord(QIODevice& file, const ZipEntry& e, ZipRecord* out, QString* problem);

/// Offset of the zip64 extra field's data (after its 4-byte id and size) within
/// the local header \a localHeader, or -1 when it has none.
int zip64ExtraOffset(const QByteArray& localHeader);

/// New contents for one record, keeping its name, method and the rest of its header.
struct ZipReplacement {
    quint32 crc = 0;
    qint64 compressedSize = 0;
    qint64 uncompressedSize = 0;
    /// Writes exactly compressedSize bytes.
    std::function<bool(QIODevice* out, QString* error)> writeData;
};

/// For record \a index: leaves \a replace false to copy it as it is, or sets it and
/// fills \a with. False with \a error to stop.
using ZipChange =
    std::function<bool(size_t index, bool* replace, ZipReplacement* with, QString* error)>;

/// Writes \a records of the archive \a sourcePath, in order, to \a out, each copied
/// or replaced as \a change says, then a new central directory. False with \a error.
bool rewriteZip(const QString& sourcePath, const std::vector<const ZipRecord*>& records,
                const ZipChange& change, QIODevice* out, QString* error);

} // namespace ws
