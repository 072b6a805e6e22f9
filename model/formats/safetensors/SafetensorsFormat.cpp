// safetensors reading: one file through its header, or a sharded model through
// its *.safetensors.index.json; tensor bytes stay on disk until needed.
#include "SafetensorsFormat.h"
#include "AtomicSave.h"
#include "JsonMemberScan.h"
#include "SafetensorsState.h"

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

// A shard name must stay inside the index's folder.
bool isSafeShardName(const QString& name) {
    if (name.isEmpty() || QDir::isAbsolutePath(name) || name.startsWith(QLatin1Char('/')) ||
        name.startsWith(QLatin1Char('\\')) || name.contains(QLatin1Char(':')) ||
        name.contains(QChar(0)))
        return false;
    const QStringList parts = name.split(QRegularExpression(QStringLiteral("[/\\\\]")));
    for (const QString& p : parts)
        if (p == QLatin1String("..")) return false;
    return true;
}

QString metadataString(const QJsonValue& v) {
    if (v.isString()) return v.toString();
    if (v.isDouble()) {
        const double d = v.toDouble();
        if (d == double(qint64(d)) && std::abs(d) < 9007199254740992.0)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    if (v.isBool()) return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isNull()) return QStringLiteral("null");
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
}

std::unique_ptr<WeightFile> readSharded(const QString& path, QString* error,
                                        const ProgressFn& progress) {
    auto fail = [&](const QString& problem) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return nullptr;
    };
    QString openError;
    const ByteSourcePtr source = openByteSource(path, &openError);
    if (!source) {
        *error = openError;
        return nullptr;
    }
    if (source->size() > kSafetensorsMaxHeader)
        return fail(QStringLiteral("index of %1 bytes is too large").arg(source->size()));
    QByteArray json(qsizetype(source->size()), Qt::Uninitialized);
    if (!source->read(0, json.size(), json.data(), &openError)) {
        *error = openError;
        return nullptr;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = utf8.decode(json);
    Q_UNUSED(decoded);
    if (utf8.hasError()) return fail(QStringLiteral("index is not valid UTF-8"));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError)
        return fail(QStringLiteral("index is not valid JSON (%1 at byte %2)")
                        .arg(err.errorString())
                        .arg(err.offset));
    if (!doc.isObject()) return fail(QStringLiteral("index is not a JSON object"));
    const QJsonObject root = doc.object();
    const QJsonValue weightMapValue = root.value(QLatin1String("weight_map"));
    if (!weightMapValue.isObject()) return fail(QStringLiteral("index has no weight_map object"));
    const QJsonObject weightMap = weightMapValue.toObject();

    std::vector<JsonMemberSpan> top, names;
    bool scanned = scanJsonObjectMembers(json, 0, json.size(), &top);
    const JsonMemberSpan* mapSpan = nullptr;
    for (const auto& m : top)
        if (m.key == QLatin1String("weight_map")) mapSpan = &m; // the last one wins, as in Qt
    if (!scanned || !mapSpan ||
        !scanJsonObjectMembers(json, mapSpan->valueBegin, mapSpan->valueEnd, &names))
        return fail(QStringLiteral("index JSON could not be scanned"));
    if (qsizetype(names.size()) != weightMap.size())
        return fail(QStringLiteral("weight_map names some tensor more than once"));

    auto state = std::make_shared<SafetensorsState>();
    state->sharded = true;
    state->indexPath = path;
    state->indexJson = json;
    QHash<QString, int> shardIndex;
    std::vector<std::pair<QString, int>> order; // tensor name, shard
    for (const auto& m : names) {
        const QJsonValue v = weightMap.value(m.key);
        if (!v.isString())
            return fail(QStringLiteral("weight_map entry '%1' is not a file name").arg(m.key));
        const QString shard = v.toString();
        if (!isSafeShardName(shard))
            return fail(QStringLiteral("shard '%1' of tensor '%2' is not a file name inside "
                                       "the index's folder")
                            .arg(shard, m.key));
        auto it = shardIndex.find(shard);
        if (it == shardIndex.end()) {
            it = shardIndex.insert(shard, int(state->shards.size()));
            state->shards.emplace_back();
            state->shards.back().path = resolveRelative(path, shard);
            state->shards.back().relativeName = shard;
        }
        order.emplace_back(m.key, it.value());
    }

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
    const QJsonObject meta = root.value(QLatin1String("metadata")).toObject();
    for (auto it = meta.begin(); it != meta.end(); ++it)
        file->metadata.insert(it.key(), metadataString(it.value()));

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
    if (head.size() >= 9 && head.at(8) == '{') {
        quint64 n = 0;
        for (int i = 7; i >= 0; --i)
            n = (n << 8) | uchar(head.at(i));
        const qint64 size = QFileInfo(path).size();
        if (n >= 2 && n <= quint64(kSafetensorsMaxHeader) && (size <= 0 || qint64(n) <= size - 8))
            return 2;
    }
    if (isIndexName(path) && head.contains("\"weight_map\"")) return 2;
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
    // Phase 1: every shard that changes is written completely to a temporary file.
    std::vector<std::unique_ptr<QSaveFile>> outs;
    const auto cancelAll = [&outs] {
        for (auto& o : outs)
            o->cancelWriting();
    };
    for (const SafetensorsHeader& h : state->shards) {
        bool edited = false;
        for (const SafetensorsEntry& e : h.entries) {
            const TensorPtr t = file.find(e.name);
            edited = edited || (t && t->storage && t->storage->isDirty());
        }
        if (inPlace && !edited) continue; // untouched shards stay as they are
        const QString name = targetDir.filePath(
            h.relativeName.isEmpty() ? sourceDir.relativeFilePath(h.path) : h.relativeName);
        QDir().mkpath(QFileInfo(name).absolutePath());
        outs.push_back(std::make_unique<QSaveFile>(name));
        QSaveFile& out = *outs.back();
        QString err;
        if (!out.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("%1: cannot write: %2").arg(name, out.errorString());
            cancelAll();
            return false;
        }
        if (!writeSafetensorsFaithful(file, h, &out, &err)) {
            *error = err.isEmpty() ? QStringLiteral("%1: write failed").arg(name) : err;
            cancelAll();
            return false;
        }
        if (!flushSaveFile(out, name, error)) {
            cancelAll();
            return false;
        }
    }
    if (!inPlace) { // the index as read, beside the new shards
        outs.push_back(std::make_unique<QSaveFile>(path));
        QSaveFile& out = *outs.back();
        if (!out.open(QIODevice::WriteOnly) ||
            out.write(state->indexJson) != state->indexJson.size()) {
            *error = QStringLiteral("%1: cannot write: %2").arg(path, out.errorString());
            cancelAll();
            return false;
        }
        if (!flushSaveFile(out, path, error)) {
            cancelAll();
            return false;
        }
    }
    // Phase 2: rename them all into place.
    for (auto& out : outs)
        if (!out->commit()) {
            *error = QStringLiteral("%1: cannot save: %2").arg(out->fileName(), out->errorString());
            return false;
        }
    return true;
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
