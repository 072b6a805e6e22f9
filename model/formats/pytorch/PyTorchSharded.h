// Sharded PyTorch models: pytorch_model.bin.index.json and its shards, each a
// torch.save file (zip or legacy), opened as one model and saved shard by shard.
#pragma once

#include "PyTorchZipState.h"
#include "WeightFile.h"

#include <memory>

namespace ws {

/// What a sharded model's save needs: the index as read, and each shard's layout.
class PyTorchShardedState : public FormatState {
public:
    struct Shard {
        QString path;                       ///< the shard file
        std::shared_ptr<FormatState> state; ///< its PyTorchZipState
        std::vector<QString> tensors;       ///< names of the tensors it holds, in its order
    };
    QString indexPath;
    QByteArray indexJson; ///< the index's bytes, written unchanged beside copied shards
    std::vector<Shard> shards;
};

/// Reads the index at \a path and every shard's structure; tensors are named as the
/// weight_map names them (tensors a shard holds beyond the map come after, by their
/// names in the shard). Null with \a error naming the file and the problem.
std::unique_ptr<WeightFile> readShardedPyTorch(const QString& path, QString* error,
                                               const std::function<void(double)>& progress);

/// Saves a sharded model to the index \a path. In place, only the shards holding
/// edited tensors are rewritten (an edited legacy shard becomes a zip one); into
/// another folder, every shard and the index. Every shard is written completely
/// before any is renamed into place. False with \a error.
bool saveShardedPyTorch(const WeightFile& file, const PyTorchShardedState& state,
                        const QString& path, QString* error);

} // namespace ws
