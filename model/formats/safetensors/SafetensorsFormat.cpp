// safetensors reading: one file through its header, or a sharded model through
// its *.safetensors.index.json; tensor bytes stay on disk until needed.
#include "SafetensorsFormat.h"
#include "AtomicSave.h"
#include "JsonMemberScan.h"
#include "SafetensorsState.h"
#include "ShardIndex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>
#include <QStringDecoder>
#include <cmath>

namespace ws {

namespace {

bool isIndexName(const QString& path) {
    return path.endsWith(QLatin1String(".index.json"), Qt::CaseInsensitive);
}

TensorPtr makeTensor(const SafetensorsHeader& h, const SafetensorsEntry& e) {
    auto t = std::make_shared<Tensor>();
    t->name = e.name;
    t->dtype = e.dtype;
    t->setContiguousShape(e.shape);
    if (e.problem.isEmpty()) {
        t->storage = Storage::fromSource(h.source, h.fileOffset(e), e.end - e.begin, e.name);
        return t;
    }
    t->problem = e.problem;
    const QString message =
        QStringLiteral("%1: tensor '%2' cannot be read: %3").arg(h.path, e.name, e.problem);
    t->storage = Storage::fromLoader(
        [message](QByteArray&, QString* error) {
            *error = message;
            return false;
        },
        e.end - e.begin, e.name);
    return t;
}

// The line that tells why a damaged file opens read-only.
QString damageNote(const SafetensorsHeader& h) {
    return QStringLiteral("%1: damaged, opened read-only (safetensors readers reject it: %2)")
        .arg(QFileInfo(h.path).fileName(), h.damage);
}

std::unique_ptr<WeightFile> readSingle(const QString& path, QString* error) {
    auto state = std::make_shared<SafetensorsState>();
    state->shards.emplace_back();
    SafetensorsHeader& h = state->shards.back();
    if (!readSafetensorsHeader(path, &h, error)) return nullptr;
    auto file = std::make_unique<WeightFile>();
    file->path = path;
    file->formatId = QStringLiteral("safetensors");
    file->formatName = QStringLiteral("safetensors");
    for (const auto& [key, value] : h.metadata)
        file->metadata.insert(key, value);
    file->tensors.reserve(h.entries.size());
    for (int i = 0; i < int(h.entries.size()); ++i) {
        file->tensors.push_back(makeTensor(h, h.entries[size_t(i)]));
        state->tensorEntries.emplace_back(0, i);
    }
    if (!h.damage.isEmpty()) file->otherEntries << damageNote(h);
    file->state = state;
    return file;
}

std::unique_ptr<WeightFile> readSharded(const QString& path, QString* error,
                                        const ProgressFn& progress) {
    auto fail = [&](const QString& problem) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return nullptr;
    };
    ShardIndex index;
    if (!readShardIndex(path, &index, error)) return nullptr;
    auto state = std::make_shared<SafetensorsState>();
    state->sharded = true;
    state->indexPath = path;
    state->indexJson = index.json;
    QHash<QString, int> shardIndex;
    for (const QString& shard : index.shards) {
        shardIndex.insert(shard, int(state->shards.size()));
        state->shards.emplace_back();
        state->shards.back().path = resolveRelative(path, shard);
        state->shards.back().relativeName = shard;
    }
    std::vector<std::pair<QString, int>> order; // tensor name, shard
    for (const auto& [name, shard] : index.names)
        order.emplace_back(name, shardIndex.value(shard));

    auto file = std::make_unique<WeightFile>();
    file->path = path;
    file->formatId = QStringLiteral("safetensors");
    file->formatName = QStringLiteral("safetensors (sharded)");
    std::vector<QHash<QString, int>> entryIndex(state->shards.size());
    for (size_t s = 0; s < state->shards.size(); ++s) {
        SafetensorsHeader& h = state->shards[s];
        const QString shardPath = h.path;
        if (!isUrl(shardPath) && !QFileInfo::exists(shardPath))
            return fail(QStringLiteral("shard %1 is missing").arg(shardPath));
        QString shardError;
        if (!readSafetensorsHeader(shardPath, &h, &shardError))
            return fail(QStringLiteral("shard %1").arg(shardError));
        for (int i = 0; i < int(h.entries.size()); ++i)
            entryIndex[s].insert(h.entries[size_t(i)].name, i);
        for (const auto& [key, value] : h.metadata)
            if (!file->metadata.contains(key)) file->metadata.insert(key, value);
        if (!h.damage.isEmpty()) file->otherEntries << damageNote(h);
        if (progress) progress(double(s + 1) / double(state->shards.size()));
    }
    for (auto it = index.metadata.begin(); it != index.metadata.end(); ++it)
        file->metadata.insert(it.key(), it.value());

    QSet<QString> listed;
    for (const auto& [name, s] : order) {
        auto it = entryIndex[size_t(s)].find(name);
        if (it == entryIndex[size_t(s)].end())
            return fail(QStringLiteral("weight_map puts tensor '%1' in shard %2, which does "
                                       "not contain it")
                            .arg(name, state->shards[size_t(s)].path));
        const SafetensorsHeader& h = state->shards[size_t(s)];
        file->tensors.push_back(makeTensor(h, h.entries[size_t(it.value())]));
        state->tensorEntries.emplace_back(s, it.value());
        listed.insert(name);
    }
    // Tensors a shard holds but the map forgot still belong to the model.
    for (size_t s = 0; s < state->shards.size(); ++s) {
        const SafetensorsHeader& h = state->shards[s];
        for (int i = 0; i < int(h.entries.size()); ++i) {
            const SafetensorsEntry& e = h.entries[size_t(i)];
            if (listed.contains(e.name)) continue;
            listed.insert(e.name);
            file->tensors.push_back(makeTensor(h, e));
            state->tensorEntries.emplace_back(int(s), i);
        }
    }
    file->state = state;
    return file;
}

} // namespace

QStringList SafetensorsFormat::nameFilters() const {
    return {QStringLiteral("*.safetensors"), QStringLiteral("*.safetensors.index.json")};
}

int SafetensorsFormat::probe(const QByteArray& head, const QString& path) const {
    const ShardIndexKind index = shardIndexKind(head, path);
    if (index == ShardIndexKind::PyTorch) return 0; // pytorch_model.bin.index.json
    if (head.size() >= 9 && head.at(8) == '{') {
        quint64 n = 0;
        for (int i = 7; i >= 0; --i)
            n = (n << 8) | uchar(head.at(i));
        const qint64 size = QFileInfo(path).size();
        if (n >= 2 && n <= quint64(kSafetensorsMaxHeader) && (size <= 0 || qint64(n) <= size - 8))
            return 2;
    }
    if (index == ShardIndexKind::Safetensors) return 2;
    if (path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive) ||
        path.endsWith(QLatin1String(".safetensors.index.json"), Qt::CaseInsensitive))
        return 1;
    return 0;
}

bool SafetensorsFormat::save(const WeightFile& file, const QString& path, QString* error) const {
    auto* state = dynamic_cast<const SafetensorsState*>(file.state.get());
    if (!state || !state->sharded || file.formatId != id() || !isIndexName(path))
        return FileFormat::save(file, path, error);
    const QFileInfo source(state->indexPath), target(path);
    const bool inPlace =
        target.exists() && source.canonicalFilePath() == target.canonicalFilePath();
    const QDir sourceDir = source.absoluteDir(), targetDir = target.absoluteDir();
    if (!inPlace && targetDir.absolutePath() == sourceDir.absolutePath()) {
        *error = QStringLiteral("%1: the shards of a sharded model keep their file names, so a "
                                "copy goes into another folder (or save one .safetensors file)")
                     .arg(path);
        return false;
    }
    // Every shard that changes is written completely before any is renamed into place.
    std::vector<PendingFile> files;
    for (const SafetensorsHeader& h : state->shards) {
        bool edited = false;
        for (const SafetensorsEntry& e : h.entries) {
            const TensorPtr t = file.find(e.name);
            edited = edited || (t && t->storage && t->storage->isDirty());
        }
        if (inPlace && !edited) continue; // untouched shards stay as they are
        const QString name = targetDir.filePath(
            h.relativeName.isEmpty() ? sourceDir.relativeFilePath(h.path) : h.relativeName);
        const SafetensorsHeader* header = &h;
        files.push_back({name, [&file, header](QIODevice* out, QString* err) {
                             return writeSafetensorsFaithful(file, *header, out, err);
                         }});
    }
    if (!inPlace) { // the index as read, beside the new shards
        const QByteArray json = state->indexJson;
        files.push_back(
            {path, [json, path](QIODevice* out, QString* err) {
                 if (out->write(json) == json.size()) return true;
                 *err = QStringLiteral("%1: cannot write: %2").arg(path, out->errorString());
                 return false;
             }});
    }
    return saveAllOrNothing(files, error, &file, path);
}

std::unique_ptr<WeightFile> SafetensorsFormat::read(const QString& path, QString* error,
                                                    const ProgressFn& progress) const {
    QString dummy;
    QString* err = error ? error : &dummy;
    std::unique_ptr<WeightFile> file;
    if (isIndexName(path)) {
        file = readSharded(path, err, progress);
    } else {
        file = readSingle(path, err);
        if (file && progress) progress(1.0);
    }
    if (file) file->format = this;
    return file;
}

} // namespace ws
