// PyTorch checkpoints: the zip format (torch.save since 1.6) and the legacy
// pre-1.6 format, read through our own non-executing pickle reader.
#pragma once

#include "FileFormat.h"
#include "PyTorchWriter.h"

namespace ws {

/// Reads torch.save files, TorchScript archives (torch.jit.save) and sharded models
/// (pytorch_model.bin.index.json) without executing anything. Tensors are named by
/// their path through the pickled object (the rule is in PyTorchObjects.h): dict
/// keys and list indices joined with '.' ("model_state_dict.0.weight"), integer keys
/// in brackets ("state[3].exp_avg"), module tensors as "<module path>.<name>"
/// (WeightFile::modules lists every module), and a bare tensor saved on its own is
/// named "tensor". Storages load lazily; the file's layout is kept in a
/// PyTorchZipState (PyTorchShardedState for a sharded model).
class PyTorchFormat : public FileFormat {
public:
    QString id() const override { return QStringLiteral("pytorch"); }
    QString displayName() const override { return QStringLiteral("PyTorch checkpoint"); }
    QStringList nameFilters() const override;
    int probe(const QByteArray& head, const QString& path) const override;
    std::unique_ptr<WeightFile> read(const QString& path, QString* error,
                                     const ProgressFn& progress = {}) const override;
    /// Zip checkpoints by URL (legacy ones and .bin indexes are refused with a message).
    bool readsUrls() const override { return true; }
    bool canWrite() const override { return true; }
    bool write(const WeightFile& file, QIODevice* out, QString* error) const override {
        return writePyTorch(file, out, error);
    }
    /// A sharded model (pytorch_model.bin.index.json) saved to an index rewrites only the
    /// shards holding edits (in place) or writes every shard and the index (elsewhere);
    /// anything else is one atomic file.
    bool save(const WeightFile& file, const QString& path, QString* error) const override;
    QString defaultSuffix() const override { return QStringLiteral("pt"); }

private:
    /// A zip checkpoint by URL; null with \a why otherwise.
    std::unique_ptr<WeightFile> readUrl(const QString& url, QString* why) const;
};

} // namespace ws
