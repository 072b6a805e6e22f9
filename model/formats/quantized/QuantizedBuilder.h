// Shared by the per-scheme builders: finding a layer's stored tensors, checking
// their dtypes and shapes against the config, and adding the logical tensor (or a
// tensor that says why the layer cannot be decoded).
#pragma once

#include "QuantizedConfig.h"
#include "QuantizedEncoding.h"
#include "WeightFile.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

namespace ws::quant {

class LayerBuilder {
public:
    LayerBuilder(WeightFile& file, std::optional<QuantConfig> config);

    WeightFile& file;
    const std::optional<QuantConfig> config;

    /// The stored tensor `<prefix>.<leaf>`, or null.
    TensorPtr find(const QString& prefix, const QString& leaf) const;
    /// Prefixes of the stored tensors named `<prefix>.<leaf>`, in file order, skipping
    /// layers that already have a logical tensor.
    QStringList prefixesWith(const QString& leaf) const;
    bool done(const QString& prefix) const { return m_done.contains(prefix); }

    /// Adds the logical tensor of layer \a prefix, decoded by \a encoding (whose first
    /// component names its storage).
    void add(const QString& prefix, std::shared_ptr<LayerEncoding> encoding);
    /// Adds a logical tensor for \a prefix that cannot be read, with \a problem; its
    /// storage is \a main's.
    void addProblem(const QString& prefix, const TensorPtr& main, std::vector<int64_t> shape,
                    const QString& problem);
    /// Where the layout came from, for descriptions: "config.json", or "no config
    /// beside the file: inferred from tensor shapes".
    QString origin() const;

private:
    QString logicalName(const QString& prefix) const;

    QHash<QString, TensorPtr> m_byName;
    QHash<QString, bool> m_done;
    std::vector<TensorPtr> m_added;
};

/// Empty when \a t is a readable, contiguous tensor of one of \a dtypes shaped \a
/// shape (any shape when empty), else what is wrong with it, naming it.
QString expectTensor(const TensorPtr& t, const std::vector<DType>& dtypes,
                     const std::vector<int64_t>& shape = {});
/// "[2, 6]"
QString shapeText(const std::vector<int64_t>& shape);
/// Float types scales are stored in.
inline std::vector<DType> scaleTypes() {
    return {DType::Float32, DType::Float16, DType::BFloat16};
}
inline int64_t ceilDiv(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

/// The per-scheme builders: each adds the logical tensors of the layers it finds.
void buildGptq(LayerBuilder& b);
void buildAwq(LayerBuilder& b);
/// Dense FP8 / int8 weights with scale tensors named \a scaleLeaf (`weight_scale_inv`
/// for DeepSeek-style FP8, `weight_scale` for compressed-tensors and fbgemm).
void buildScaled(LayerBuilder& b, const QString& scaleLeaf);
void buildCompressedTensors(LayerBuilder& b);
/// Without a config: layouts that the names and shapes of the stored tensors tell.
void buildInferred(LayerBuilder& b);

} // namespace ws::quant
