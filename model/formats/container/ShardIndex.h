// The index of a sharded model as transformers writes it, for safetensors
// (model.safetensors.index.json) and PyTorch (pytorch_model.bin.index.json)
// alike: {"metadata": {...}, "weight_map": {tensor name: shard file}}. Also the
// two-phase save of several files that a sharded model's save needs.
#pragma once

#include <QByteArray>
#include <QIODevice>
#include <QMap>
#include <QString>
#include <QStringList>
#include <functional>
#include <utility>
#include <vector>

namespace ws {
class WeightFile;
}

namespace ws {

/// A parsed shard index.
struct ShardIndex {
    QByteArray json;                                ///< the file's bytes as read
    std::vector<std::pair<QString, QString>> names; ///< tensor name -> shard, in text order
    QStringList shards;                             ///< distinct shard files, first use first
    QMap<QString, QString> metadata;                ///< "metadata" members as text
};

/// What a shard index's shards are, from its name and its first bytes.
enum class ShardIndexKind { NotAnIndex, Safetensors, PyTorch };

/// Classifies \a path with \a head (its first bytes): an "*.index.json" whose head
/// has a "weight_map" and names shards ending in .safetensors, or in .bin/.pt/.pth
/// (PyTorch). When the head names no shard, the name decides
/// ("*.safetensors.index.json", "*.bin.index.json", "*.pt.index.json").
ShardIndexKind shardIndexKind(const QByteArray& head, const QString& path);

/// Reads and checks the index at \a path: at most 100 MB of UTF-8 JSON, an object
/// with a "weight_map" object of strings, no tensor named twice, every shard a
/// plain file name inside the index's folder. False with \a error ("<path>: ...").
bool readShardIndex(const QString& path, ShardIndex* out, QString* error);

/// A shard name that stays inside the index's folder (no absolute path, no "..").
bool isSafeShardName(const QString& name);

/// One file of a multi-file save: where it goes and what writes it.
struct PendingFile {
    QString path;
    std::function<bool(QIODevice*, QString*)> write;
};

/// Writes every file completely to a temporary file beside it (QSaveFile) and only
/// then renames them all into place, so a failure while writing leaves every
/// destination untouched. False with \a error naming the file that failed.
/// When \a source is given, nothing is renamed if the files \a source reads from
/// changed on disk meanwhile (sourceUnchanged() for \a target).
bool saveAllOrNothing(const std::vector<PendingFile>& files, QString* error,
                      const WeightFile* source = nullptr, const QString& target = QString());

} // namespace ws
