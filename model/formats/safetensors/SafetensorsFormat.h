// safetensors files, and sharded models through *.safetensors.index.json.
#pragma once

#include "FileFormat.h"
#include "SafetensorsWriter.h"

namespace ws {

class SafetensorsFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("safetensors"); }
    QString displayName() const override { return QStringLiteral("safetensors"); }
    QStringList nameFilters() const override;
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    bool readsUrls() const override { return true; }
    bool canWrite() const override { return true; }
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override {
        return writeSafetensors(file, out, error);
    }
    /// A sharded model saved to its own index rewrites only the shards holding edited
    /// tensors; saved to an index in another folder, it is written whole (every shard
    /// and the index). Each shard is written completely before any is renamed into place.
    bool save(const WeightFile& file, const QString& path, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("safetensors"); }
};

} // namespace ws
