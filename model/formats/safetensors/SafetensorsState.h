// What the safetensors reader keeps about each file it read (header order,
// metadata, tensor offsets) so that a writer can later save faithfully.
#pragma once

#include "ByteSource.h"
#include "DType.h"
#include "WeightFile.h"

#include <QByteArray>
#include <QString>
#include <optional>
#include <utility>
#include <vector>

namespace ws {

/// Largest header the reference reader accepts.
constexpr qint64 kSafetensorsMaxHeader = 100000000;

/// The safetensors dtype code ("F32", "BF16", "F8_E4M3", ...) of \a t.
QString safetensorsDTypeCode(DType t);
/// The DType of a safetensors dtype code; nullopt when unknown.
std::optional<DType> dtypeFromSafetensorsCode(const QString& code);

/// One tensor entry of a safetensors header.
struct SafetensorsEntry {
    QString name;
    QString dtypeCode; ///< as written in the header
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
    qint64 begin = 0; ///< data_offsets, relative to the start of the data section
    qint64 end = 0;
    /// Why its bytes cannot be read ("truncated: ...", "out of range: ..."); empty when
    /// they lie inside the file. Only in a damaged header.
    QString problem;
};

/// The parsed header of one safetensors file.
struct SafetensorsHeader {
    QString path;         ///< a file path or a URL
    ByteSourcePtr source; ///< where the bytes are read from
    /// The shard's name as the index gives it (relative to the index); empty for a
    /// single file.
    QString relativeName;
    qint64 headerLength = 0;               ///< N; the data section starts at 8 + N
    QByteArray json;                       ///< the header bytes as read (with any padding)
    std::vector<SafetensorsEntry> entries; ///< in header text order
    std::vector<std::pair<QString, QString>> metadata; ///< __metadata__, text order
    bool hasMetadata = false;
    /// Why the reference reader would reject the file, when it is damaged but some
    /// tensors could still be read (see SafetensorsEntry::problem); such a file is
    /// shown read-only: saving it is refused. Empty for a valid file.
    QString damage;
    /// File offset of the first byte of \a e's data.
    qint64 fileOffset(const SafetensorsEntry& e) const { return 8 + headerLength + e.begin; }
};

/// Reads and validates the header of the safetensors file (or URL) \a path with the
/// reference reader's rules (size limit, UTF-8 JSON, offsets contiguous without
/// holes or overlaps, sizes matching shape x dtype, data ending at end of
/// file). Reads no tensor bytes. False with \a error naming the file on failure.
bool readSafetensorsHeader(const QString& path, SafetensorsHeader* out, QString* error);

/// Validates \a headerBytes (the N bytes after the length prefix) for a file of
/// \a fileSize bytes; used by readSafetensorsHeader and by the fuzz target. With
/// \a lenient, entries whose bytes run past the data section get a problem instead
/// of failing the header, and the readable ones need only not overlap.
bool parseSafetensorsHeader(const QByteArray& headerBytes, qint64 fileSize, SafetensorsHeader* out,
                            QString* problem, bool lenient = false);

/// Reader state for safetensors files and sharded models.
class SafetensorsState : public FormatState {
public:
    bool sharded = false;
    QString indexPath;                     ///< the .index.json for a sharded model
    QByteArray indexJson;                  ///< its bytes as read
    std::vector<SafetensorsHeader> shards; ///< one header per file (one for a plain file)
    /// For each WeightFile tensor (same order): index into shards and into its entries.
    std::vector<std::pair<int, int>> tensorEntries;
};

} // namespace ws
