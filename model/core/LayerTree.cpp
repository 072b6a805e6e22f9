// Builds the module tree from dotted tensor names and names each module's kind:
// the pickled class where the file has one, otherwise inferred from its tensors.
#include "LayerTree.h"

#include <QHash>
#include <QRegularExpression>

namespace ws {

const LayerNode* LayerNode::child(const QString& childName) const {
    for (const auto& c : children)
        if (c->name == childName) return c.get();
    return nullptr;
}

namespace {

LayerNode* childOrNew(LayerNode* node, const QString& name, QChar sep) {
    for (auto& c : node->children)
        if (c->name == name) return c.get();
    auto c = std::make_unique<LayerNode>();
    c->name = name;
    c->path = node->path.isEmpty() && !node->parent ? name : node->path + sep + name;
    c->parent = node;
    node->children.push_back(std::move(c));
    return node->children.back().get();
}

// The parameter's role from its leaf name: "weight"/"kernel" (with Keras' ":0"), "bias".
QString leafName(const QString& tensorName, QChar sep) {
    QString leaf = splitName(tensorName, sep).last();
    const int colon = leaf.lastIndexOf(QLatin1Char(':'));
    if (colon > 0) leaf.truncate(colon);
    return leaf;
}

bool looksLikeEmbedding(const QString& name) {
    static const QRegularExpression re(
        QStringLiteral("(embed|embedding|embeddings|wte|wpe|tok|token|vocab|lookup)"),
        QRegularExpression::CaseInsensitiveOption);
    return re.match(name).hasMatch();
}

// Mixture-of-experts weights stored as one 3-D tensor (n_expert, out, in): llama.cpp's
// ffn_{gate,up,down}_exps, "experts" modules elsewhere.
bool looksLikeExperts(const QString& name) {
    static const QRegularExpression re(QStringLiteral("(^|_)exps$|experts"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(name).hasMatch();
}

// transformers' GPT-2 family names its Conv1D modules c_attn, c_proj and c_fc.
bool isGpt2Conv1DName(const QString& name) {
    return name == QLatin1String("c_attn") || name == QLatin1String("c_proj") ||
           name == QLatin1String("c_fc");
}

// Infers kind and detail from the tensors held directly by a module.
void inferKind(LayerNode* node, const WeightFile& file) {
    const Tensor* weight = nullptr;
    const Tensor* bias = nullptr;
    bool runningStats = false;
    for (int i : node->tensors) {
        const Tensor& t = *file.tensors[size_t(i)];
        const QString leaf = leafName(t.name, file.separator);
        if (leaf == QLatin1String("weight") || leaf == QLatin1String("kernel"))
            weight = &t;
        else if (leaf == QLatin1String("bias"))
            bias = &t;
        else if (leaf == QLatin1String("running_mean") || leaf == QLatin1String("moving_mean"))
            runningStats = true;
    }
    if (!weight) { // Keras 3 names variables by number: the input-major one is the kernel
        for (int i : node->tensors)
            if (file.tensors[size_t(i)]->inputMajor) weight = file.tensors[size_t(i)].get();
    }
    if (!weight) return;
    if (weight->inputMajor && weight->rank() >= 2) { // Keras: (in, out), (kh, kw, in, out)
        const auto& k = weight->shape;
        const int64_t in = k[k.size() - 2], out = k[k.size() - 1];
        if (k.size() == 2) {
            node->kind = file.inputMajorLinearKind;
            node->detail = QStringLiteral("in %1 -> out %2").arg(in).arg(out);
        } else {
            QStringList kernel;
            for (size_t i = 0; i + 2 < k.size(); ++i)
                kernel << QString::number(k[i]);
            node->kind = QStringLiteral("Conv");
            node->detail =
                QStringLiteral("%1 -> %2, %3").arg(in).arg(out).arg(kernel.join(QLatin1Char('x')));
        }
        return;
    }
    const auto& s = weight->shape;
    const bool biasMatches = bias && bias->rank() == 1 && !s.empty() && bias->shape[0] == s[0];
    if (s.size() == 2) {
        if (!bias && looksLikeEmbedding(node->path)) {
            node->kind = QStringLiteral("Embedding");
            node->detail = QStringLiteral("%1 x %2").arg(s[0]).arg(s[1]);
        } else if (bias && bias->rank() == 1 && bias->shape[0] == s[1] && s[0] == s[1] &&
                   isGpt2Conv1DName(node->name)) {
            // A square Conv1D (GPT-2's attn.c_proj) fits both readings: the name decides.
            node->kind = QStringLiteral("Conv1D");
            node->detail = QStringLiteral("in %1 -> out %2").arg(s[0]).arg(s[1]);
        } else if (!bias || biasMatches) {
            node->kind = QStringLiteral("Linear");
            node->detail = QStringLiteral("in %1 -> out %2").arg(s[1]).arg(s[0]);
        } else if (bias->rank() == 1 && bias->shape[0] == s[1]) {
            // transformers' Conv1D (GPT-2): weight stored (in, out)
            node->kind = QStringLiteral("Conv1D");
            node->detail = QStringLiteral("in %1 -> out %2").arg(s[0]).arg(s[1]);
        }
    } else if (s.size() == 3 && looksLikeExperts(node->name)) {
        node->kind = QStringLiteral("Experts");
        node->detail = QStringLiteral("%1 experts, in %2 -> out %3").arg(s[0]).arg(s[2]).arg(s[1]);
    } else if (s.size() >= 3 && s.size() <= 5 && (!bias || biasMatches)) {
        node->kind = QStringLiteral("Conv");
        QStringList kernel;
        for (size_t i = 2; i < s.size(); ++i)
            kernel << QString::number(s[i]);
        node->detail =
            QStringLiteral("%1 -> %2, %3").arg(s[1]).arg(s[0]).arg(kernel.join(QLatin1Char('x')));
    } else if (s.size() == 1 && (!bias || (bias->rank() == 1 && bias->shape[0] == s[0]))) {
        node->kind = runningStats ? QStringLiteral("BatchNorm") : QStringLiteral("Norm");
        node->detail = QString::number(s[0]);
    }
}

// Describes a pickled module from its tensors, e.g. "in 10 -> out 20" for a Linear.
void describePickled(LayerNode* node, const WeightFile& file) {
    LayerNode probe;
    probe.path = node->path;
    probe.tensors = node->tensors;
    inferKind(&probe, file);
    if (!probe.kind.isEmpty()) node->detail = probe.detail;
}

// Counts each distinct view once: tied weights (the same storage, offset, shape
// and strides under two names) are one set of parameters, as in PyTorch.
void collectTensors(const LayerNode* node, std::vector<int>* out) {
    out->insert(out->end(), node->tensors.begin(), node->tensors.end());
    for (const auto& c : node->children)
        collectTensors(c.get(), out);
}

void sumCounts(LayerNode* node, const WeightFile& file) {
    std::vector<int> all, params, buffers;
    collectTensors(node, &all);
    for (int i : all)
        (isBufferTensor(file, i) ? buffers : params).push_back(i);
    node->parameterCount = distinctElementCount(file, params);
    node->bufferCount = distinctElementCount(file, buffers);
    for (auto& c : node->children)
        sumCounts(c.get(), file);
}

void assignKinds(LayerNode* node, const WeightFile& file,
                 const QHash<QString, const ModuleInfo*>& modules) {
    auto it = modules.find(node->path);
    if (it != modules.end() && (node->parent || node->path.isEmpty())) {
        node->kind = it.value()->className;
        describePickled(node, file);
    } else if (node->parent) {
        inferKind(node, file);
    }
    for (auto& c : node->children)
        assignKinds(c.get(), file, modules);
}

// End of the bracketed key that opens at \a open ("[3]", "['a.b']"): the index of its
// ']', or -1 when it does not close.
int closingBracket(const QString& s, int open) {
    const int n = int(s.size());
    if (open + 1 < n && (s[open + 1] == QLatin1Char('\'') || s[open + 1] == QLatin1Char('"'))) {
        const QChar q = s[open + 1];
        for (int i = open + 2; i < n; ++i) {
            if (s[i] == QLatin1Char('\\')) {
                ++i;
            } else if (s[i] == q) {
                return i + 1 < n && s[i + 1] == QLatin1Char(']') ? i + 1 : -1;
            }
        }
        return -1;
    }
    return int(s.indexOf(QLatin1Char(']'), open + 1));
}

} // namespace

QStringList splitName(const QString& name, QChar sep) {
    QStringList parts;
    int start = 0;
    for (int i = 0; i < int(name.size()); ++i) {
        if (name[i] == QLatin1Char('[')) {
            const int close = closingBracket(name, i);
            if (close > i) i = close;
        } else if (name[i] == sep) {
            parts << name.mid(start, i - start);
            start = i + 1;
        }
    }
    parts << name.mid(start);
    return parts;
}

std::unique_ptr<LayerNode> buildLayerTree(const WeightFile& file) {
    auto root = std::make_unique<LayerNode>();
    // Pickled modules first, so that parameterless ones (ReLU) appear in order.
    QHash<QString, const ModuleInfo*> modules;
    for (const ModuleInfo& m : file.modules) {
        modules.insert(m.path, &m);
        if (m.path.isEmpty()) continue;
        LayerNode* node = root.get();
        for (const QString& part : splitName(m.path, file.separator))
            node = childOrNew(node, part, file.separator);
    }
    // A tensor computed from others (a quantized layer's weight) holds them under it.
    QHash<QString, int> computedFrom;
    for (size_t i = 0; i < file.tensors.size(); ++i)
        if (const auto& enc = file.tensors[i]->encoding)
            for (const QString& source : enc->sources())
                if (source != file.tensors[i]->name) computedFrom.insert(source, int(i));
    std::vector<LayerNode*> nodeOf(file.tensors.size(), nullptr);
    std::vector<int> held;
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const QString& name = file.tensors[i]->name;
        if (computedFrom.contains(name)) {
            held.push_back(int(i));
            continue;
        }
        QStringList parts = splitName(name, file.separator);
        parts.removeLast();
        LayerNode* node = root.get();
        for (const QString& part : parts)
            node = childOrNew(node, part, file.separator);
        node->tensors.push_back(int(i));
        nodeOf[i] = node;
    }
    for (int i : held) {
        const int by = computedFrom.value(file.tensors[size_t(i)]->name);
        nodeOf[size_t(by)]->packed[by].push_back(i);
    }
    assignKinds(root.get(), file, modules);
    sumCounts(root.get(), file);
    return root;
}

namespace {

void flatten(const LayerNode& node, std::vector<const LayerNode*>* out) {
    if (!node.tensors.empty() || !node.kind.isEmpty()) out->push_back(&node);
    for (const auto& c : node.children)
        flatten(*c, out);
}

} // namespace

std::vector<const LayerNode*> flattenLayers(const LayerNode& root) {
    std::vector<const LayerNode*> out;
    if (!root.tensors.empty()) out.push_back(&root);
    for (const auto& c : root.children)
        flatten(*c, &out);
    return out;
}

bool isBufferTensor(const WeightFile& file, int index) {
    static const QStringList buffers = {
        QStringLiteral("running_mean"), QStringLiteral("running_var"),
        QStringLiteral("num_batches_tracked"), QStringLiteral("moving_mean"),
        QStringLiteral("moving_variance")};
    return buffers.contains(leafName(file.tensors[size_t(index)]->name, file.separator));
}

void countParametersAndBuffers(const WeightFile& file, int64_t* parameters, int64_t* buffers) {
    std::vector<int> params, bufs;
    for (int i = 0; i < int(file.tensors.size()); ++i)
        (isBufferTensor(file, i) ? bufs : params).push_back(i);
    *parameters = distinctElementCount(file, params);
    *buffers = distinctElementCount(file, bufs);
}

int64_t distinctElementCount(const WeightFile& file, const std::vector<int>& indices) {
    int64_t n = 0;
    std::vector<const Tensor*> seen;
    for (int i : indices) {
        const Tensor* t = file.tensors[size_t(i)].get();
        bool dup = false;
        for (const Tensor* o : seen)
            if (o->storage == t->storage && o->storageOffset == t->storageOffset &&
                o->shape == t->shape && o->strides == t->strides && o->dtype == t->dtype) {
                dup = true;
                break;
            }
        if (dup) continue;
        if (t->storage) seen.push_back(t);
        n += t->numel();
    }
    return n;
}

QString formatCount(int64_t n) {
    if (n < 10000) return QString::number(n);
    if (n < 1000000) return QString::number(double(n) / 1e3, 'f', 1) + QLatin1Char('K');
    if (n < 1000000000) return QString::number(double(n) / 1e6, 'f', 1) + QLatin1Char('M');
    return QString::number(double(n) / 1e9, 'f', 2) + QLatin1Char('B');
}

} // namespace ws
