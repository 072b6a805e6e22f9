// The model as a tree of modules: names split on '.', each module's kind
// (class name from the file, or inferred from its tensors), and parameter counts.
#pragma once

#include "WeightFile.h"

#include <QString>
#include <QStringList>
#include <map>
#include <memory>
#include <vector>

namespace ws {

/// One module (or the root) of the layer tree.
struct LayerNode {
    QString name;   ///< last path component ("linear1"); "" for the root
    QString path;   ///< dotted path ("encoder.layers.0.linear1"); "" for the root
    QString kind;   ///< "Linear", "Conv", "Norm", "Embedding", a pickled class name, or ""
    QString detail; ///< "in 10 -> out 20", "3 -> 16, 3x3", ...
    std::vector<int> tensors; ///< indices into WeightFile::tensors held directly here
    /// Stored tensors that another tensor of this node is computed from (its encoding's
    /// sources(): a quantized layer's qweight, scales, FP8 codes...), by that tensor's
    /// index: listed under it, and not counted in parameterCount (it is).
    std::map<int, std::vector<int>> packed;
    std::vector<std::unique_ptr<LayerNode>> children;
    LayerNode* parent = nullptr;
    int64_t parameterCount = 0; ///< elements of the parameters in this subtree (not buffers)
    int64_t bufferCount = 0;    ///< elements of the buffers (running_mean, ...) in it

    /// Leaf name of tensor \a i within this node ("weight").
    const LayerNode* child(const QString& name) const;
};

/// Splits a tensor or module name into tree components at \a sep, keeping a bracketed
/// key with what precedes it: "optimizer.state[3].exp_avg" -> optimizer, state[3],
/// exp_avg; "['a.b'].c" -> ['a.b'], c (a quoted key may hold \a sep, brackets and
/// backslash-escaped quotes). A '[' without its ']' is plain text.
QStringList splitName(const QString& name, QChar sep);

/// Builds the tree for \a file. Module class names from a whole-module pickle win
/// over inference.
std::unique_ptr<LayerNode> buildLayerTree(const WeightFile& file);

/// Depth-first list of nodes that are modules (hold tensors or have a pickled class),
/// root excluded; for `info` output.
std::vector<const LayerNode*> flattenLayers(const LayerNode& root);

/// True when tensor \a index is a module's buffer, state that is not a parameter:
/// BatchNorm's running_mean, running_var, num_batches_tracked (Keras: moving_mean,
/// moving_variance).
bool isBufferTensor(const WeightFile& file, int index);
/// Elements of the file's parameters and of its buffers, each distinct view once.
void countParametersAndBuffers(const WeightFile& file, int64_t* parameters, int64_t* buffers);

/// Elements of the tensors \a indices, each distinct view counted once.
int64_t distinctElementCount(const WeightFile& file, const std::vector<int>& indices);

/// "1.2M", "124.4M", "3,210" style parameter count.
QString formatCount(int64_t n);

} // namespace ws
