// Sharded PyTorch models through their index, read shard by shard with the zip or
// legacy reader and saved through the same writer as a single checkpoint.
#include "PyTorchSharded.h"
#include "PyTorchLegacy.h"
#include "PyTorchWriter.h"
#include "PyTorchZip.h"
#include "ShardIndex.h"
#include "TensorBytes.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

namespace ws {

namespace {

std::unique_ptr<WeightFile> readShard(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot open: %2").arg(path, file.errorString());
        return nullptr;
    }
    const QByteArray head = file.read(64);
    QString why;
    std::unique_ptr<WeightFile> out;
    if (head.startsWith("PK\x03\x04"))
        out = readPyTorchZip(file, path, &why);
    else if (isLegacyPyTorch(head))
        out = readLegacyPyTorch(file, path, &why);
    else
        why = QStringLiteral("not a PyTorch checkpoint");
    if (!out) {
        *error = QStringLiteral("%1: %2").arg(path, why);
        return nullptr;
    }
    out->path = path;
    out->formatId = QStringLiteral("pytorch");
    return out;
}

} // namespace

std::unique_ptr<WeightFile> readShardedPyTorch(const QString& path, QString* error,
                                               const std::function<void(double)>& progress) {
    ShardIndex index;
    if (!readShardIndex(path, &index, error)) return nullptr;
    auto state = std::make_shared<PyTorchShardedState>();
    state->indexPath = path;
    state->indexJson = index.json;
    const QDir folder = QFileInfo(path).absoluteDir();
    auto file = std::make_unique<WeightFile>();
    file->formatName = QStringLiteral("PyTorch sharded model");
    std::vector<std::unique_ptr<WeightFile>> shards;
    QHash<QString, int> shardOf;
    for (const QString& name : index.shards) {
        const QString shardPath = folder.filePath(name);
        if (!QFileInfo::exists(shardPath)) {
            *error = QStringLiteral("%1: shard %2 is missing").arg(path, shardPath);
            return nullptr;
        }
        QString why;
        auto shard = readShard(shardPath, &why);
        if (!shard) {
            *error = QStringLiteral("%1: shard %2").arg(path, why);
            return nullptr;
        }
        shardOf.insert(name, int(shards.size()));
        for (auto it = shard->metadata.begin(); it != shard->metadata.end(); ++it)
            file->metadata[it.key()] +=
                (file->metadata.value(it.key()).isEmpty() ? QString() : QStringLiteral("; ")) +
                it.value();
        state->shards.push_back({shardPath, shard->state, {}});
        shards.push_back(std::move(shard));
        if (progress) progress(double(shards.size()) / double(index.shards.size()));
    }
    for (auto it = index.metadata.begin(); it != index.metadata.end(); ++it)
        file->metadata.insert(it.key(), it.value());
    QSet<QString> listed;
    const auto add = [&](const TensorPtr& t, int s) {
        listed.insert(t->name);
        state->shards[size_t(s)].tensors.push_back(t->name);
        file->tensors.push_back(t);
    };
    for (const auto& [name, shardName] : index.names) {
        const int s = shardOf.value(shardName);
        const TensorPtr t = shards[size_t(s)]->find(name);
        if (!t) {
            *error = QStringLiteral("%1: weight_map puts tensor '%2' in shard %3, which does not "
                                    "contain it")
                         .arg(path, name, shardName);
            return nullptr;
        }
        add(t, s);
    }
    // Tensors a shard holds but the map forgot still belong to the model.
    for (size_t s = 0; s < shards.size(); ++s)
        for (const TensorPtr& t : shards[s]->tensors)
            if (!listed.contains(t->name)) add(t, int(s));
    file->state = state;
    return file;
}

bool saveShardedPyTorch(const WeightFile& file, const PyTorchShardedState& state,
                        const QString& path, QString* error) {
    const QFileInfo source(state.indexPath), target(path);
    const bool inPlace =
        target.exists() && source.canonicalFilePath() == target.canonicalFilePath();
    const QDir sourceDir = source.absoluteDir(), targetDir = target.absoluteDir();
    if (!inPlace && targetDir.absolutePath() == sourceDir.absolutePath()) {
        *error = QStringLiteral("%1: the shards of a sharded model keep their file names, so a "
                                "copy goes into another folder (or save one .pt file)")
                     .arg(path);
        return false;
    }
    std::vector<PendingFile> files;
    for (const PyTorchShardedState::Shard& shard : state.shards) {
        auto part = std::make_shared<WeightFile>();
        part->path = shard.path;
        part->formatId = QStringLiteral("pytorch");
        part->state = shard.state;
        bool edited = false;
        for (const QString& name : shard.tensors) {
            const TensorPtr t = file.find(name);
            if (!t) continue;
            part->tensors.push_back(t);
            edited = edited || (t->storage && t->storage->isDirty());
        }
        if (inPlace && !edited) continue; // untouched shards stay as they are
        const QString name = targetDir.filePath(sourceDir.relativeFilePath(shard.path));
        if (!edited) { // copied into another folder byte for byte
            const QString from = shard.path;
            files.push_back({name, [from](QIODevice* out, QString* err) {
                                 return copyFileRange(from, 0, QFileInfo(from).size(), out, err);
                             }});
            continue;
        }
        files.push_back(
            {name, [part](QIODevice* out, QString* err) { return writePyTorch(*part, out, err); }});
    }
    if (!inPlace) { // the index as read, beside the new shards
        const QByteArray json = state.indexJson;
        files.push_back(
            {path, [json, path](QIODevice* out, QString* err) {
                 if (out->write(json) == json.size()) return true;
                 *err = QStringLiteral("%1: cannot write: %2").arg(path, out->errorString());
                 return false;
             }});
    }
    return saveAllOrNothing(files, error, &file, path);
}

} // namespace ws
