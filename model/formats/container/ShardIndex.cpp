// Shard indexes (weight_map in text order, shard names kept inside the folder)
// and the all-or-nothing save of several files.
#include "ShardIndex.h"
#include "AtomicSave.h"
#include "ByteSource.h"
#include "JsonMemberScan.h"
#include "WeightFile.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStringDecoder>
#include <algorithm>
#include <cmath>
#include <memory>

namespace ws {

namespace {

constexpr qint64 kMaxIndexSize = 100000000;

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

} // namespace

ShardIndexKind shardIndexKind(const QByteArray& head, const QString& path) {
    if (!path.endsWith(QLatin1String(".index.json"), Qt::CaseInsensitive) ||
        !head.contains("\"weight_map\""))
        return ShardIndexKind::NotAnIndex;
    // the first shard file named after "weight_map": a JSON string value ending so
    static const QRegularExpression shard(
        QStringLiteral("\"\\s*:\\s*\"[^\"]*\\.(safetensors|bin|pt|pth)\""),
        QRegularExpression::CaseInsensitiveOption);
    const qsizetype map = head.indexOf("\"weight_map\"");
    const auto m = shard.match(QString::fromUtf8(head.mid(map + 12)));
    if (m.hasMatch())
        return m.captured(1).compare(QLatin1String("safetensors"), Qt::CaseInsensitive) == 0
                   ? ShardIndexKind::Safetensors
                   : ShardIndexKind::PyTorch;
    const QString lower = path.toLower();
    if (lower.endsWith(QLatin1String(".safetensors.index.json")))
        return ShardIndexKind::Safetensors;
    for (const char* suffix : {".bin.index.json", ".pt.index.json", ".pth.index.json"})
        if (lower.endsWith(QLatin1String(suffix))) return ShardIndexKind::PyTorch;
    return ShardIndexKind::NotAnIndex;
}

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

bool readShardIndex(const QString& path, ShardIndex* out, QString* error) {
    auto fail = [&](const QString& problem) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return false;
    };
    // A local file or a URL (the index of a remote model is fetched the same way).
    QString openError;
    const ByteSourcePtr source = openByteSource(path, &openError);
    if (!source) {
        *error = openError;
        return false;
    }
    if (source->size() > kMaxIndexSize)
        return fail(QStringLiteral("index of %1 bytes is too large").arg(source->size()));
    out->json = QByteArray(qsizetype(source->size()), Qt::Uninitialized);
    if (!source->read(0, out->json.size(), out->json.data(), &openError)) {
        *error = openError;
        return false;
    }
    const QByteArray& json = out->json;
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
    const bool scanned = scanJsonObjectMembers(json, 0, json.size(), &top);
    const JsonMemberSpan* mapSpan = nullptr;
    for (const auto& m : top)
        if (m.key == QLatin1String("weight_map")) mapSpan = &m; // the last one wins, as in Qt
    if (!scanned || !mapSpan ||
        !scanJsonObjectMembers(json, mapSpan->valueBegin, mapSpan->valueEnd, &names))
        return fail(QStringLiteral("index JSON could not be scanned"));
    if (qsizetype(names.size()) != weightMap.size())
        return fail(QStringLiteral("weight_map names some tensor more than once"));
    out->names.clear();
    out->shards.clear();
    QHash<QString, int> seen;
    for (const auto& m : names) {
        const QJsonValue v = weightMap.value(m.key);
        if (!v.isString())
            return fail(QStringLiteral("weight_map entry '%1' is not a file name").arg(m.key));
        const QString shard = v.toString();
        if (!isSafeShardName(shard))
            return fail(QStringLiteral("shard '%1' of tensor '%2' is not a file name inside "
                                       "the index's folder")
                            .arg(shard, m.key));
        if (!seen.contains(shard)) {
            seen.insert(shard, int(out->shards.size()));
            out->shards << shard;
        }
        out->names.emplace_back(m.key, shard);
    }
    out->metadata.clear();
    const QJsonObject meta = root.value(QLatin1String("metadata")).toObject();
    for (auto it = meta.begin(); it != meta.end(); ++it)
        out->metadata.insert(it.key(), metadataString(it.value()));
    return true;
}

bool saveAllOrNothing(const std::vector<PendingFile>& files, QString* error,
                      const WeightFile* source, const QString& target) {
    std::vector<std::unique_ptr<QSaveFile>> outs;
    const auto cancelAll = [&outs] {
        for (auto& o : outs)
            o->cancelWriting();
    };
    // Phase 1: every file is written completely to its temporary file.
    for (const PendingFile& f : files) {
        QDir().mkpath(QFileInfo(f.path).absolutePath());
        outs.push_back(std::make_unique<QSaveFile>(f.path));
        QSaveFile& out = *outs.back();
        if (!out.open(QIODevice::WriteOnly)) {
            *error = QStringLiteral("%1: cannot write: %2").arg(f.path, out.errorString());
            cancelAll();
            return false;
        }
        QString err;
        if (!f.write(&out, &err)) {
            *error = saveFailure(f.path, err.isEmpty() ? QStringLiteral("write failed") : err);
            cancelAll();
            return false;
        }
        if (!flushSaveFile(out, f.path, error)) {
            cancelAll();
            return false;
        }
    }
    // Phase 2: every file synced, then renamed into place unless the model changed
    // on disk meanwhile; the folders are synced after the renames.
    for (auto& out : outs)
        if (!syncSaveFile(*out, out->fileName(), error)) {
            cancelAll();
            return false;
        }
    if (source && !sourceUnchanged(*source, target, error)) {
        cancelAll();
        return false;
    }
    // Every written weight file is read back and compared before any rename (the
    // index, JSON, names shards that are not all in place yet and is not read).
    if (source && source->saveCheck) {
        const auto isIndex = [](const PendingFile& f) {
            return f.path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
        };
        // A sharded model (saved to its index) may rewrite one shard alone: a part.
        const bool part = files.size() > 1 || target.endsWith(QLatin1String(".json")) ||
                          std::any_of(files.begin(), files.end(), isIndex);
        QSet<QString> seen;
        for (size_t i = 0; i < files.size(); ++i)
            if (!isIndex(files[i]) && !readBackBeforeRename(source, outs[i]->handle(),
                                                            files[i].path, part, &seen, error)) {
                cancelAll();
                return false;
            }
        QString why;
        if (part && !source->saveCheck->complete(seen, &why)) {
            *error = saveFailure(target, QStringLiteral("reading the written files back: ") + why);
            cancelAll();
            return false;
        }
    }
    for (auto& out : outs)
        if (!out->commit()) {
            *error = QStringLiteral("%1: cannot save: %2").arg(out->fileName(), out->errorString());
            return false;
        }
    for (const PendingFile& f : files)
        if (!syncDirectoryOf(f.path, error)) return false;
    return true;
}

} // namespace ws
