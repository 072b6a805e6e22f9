// Entry point: finds the quantization config, runs the builder of its method, and
// the helpers every builder shares.
#include "QuantizedLayers.h"
#include "QuantizedBuilder.h"

namespace ws {

namespace quant {

LayerBuilder::LayerBuilder(WeightFile& f, std::optional<QuantConfig> c)
    : file(f), config(std::move(c)) {
    for (const TensorPtr& t : file.tensors)
        m_byName.insert(t->name, t);
}

TensorPtr LayerBuilder::find(const QString& prefix, const QString& leaf) const {
    return m_byName.value(prefix + QLatin1Char('.') + leaf);
}

QStringList LayerBuilder::prefixesWith(const QString& leaf) const {
    QStringList out;
    const QString tail = QLatin1Char('.') + leaf;
    for (const TensorPtr& t : file.tensors) {
        if (t->derived || !t->name.endsWith(tail)) continue;
        const QString prefix = t->name.left(t->name.size() - tail.size());
        if (!prefix.isEmpty() && !m_done.contains(prefix)) out << prefix;
    }
    return out;
}

QString LayerBuilder::logicalName(const QString& prefix) const {
    const QString name = prefix + QStringLiteral(".weight");
    return m_byName.contains(name) ? name + kDequantizedSuffix : name;
}

void LayerBuilder::add(const QString& prefix, std::shared_ptr<LayerEncoding> encoding) {
    auto t = std::make_shared<Tensor>();
    t->name = logicalName(prefix);
    t->dtype = DType::Float32;
    t->setContiguousShape({encoding->rows(), encoding->cols()});
    t->storage = encoding->mainComponent()->storage;
    encoding->setOrigin(origin());
    t->encoding = std::move(encoding);
    t->derived = true;
    file.tensors.push_back(t);
    m_byName.insert(t->name, t);
    m_done.insert(prefix, true);
}

void LayerBuilder::addProblem(const QString& prefix, const TensorPtr& main,
                              std::vector<int64_t> shape, const QString& problem) {
    auto t = std::make_shared<Tensor>();
    t->name = logicalName(prefix);
    t->dtype = DType::Float32;
    t->setContiguousShape(shape.size() == 2 ? std::move(shape) : std::vector<int64_t>{0, 0});
    t->storage = main->storage;
    t->problem = QStringLiteral("%1 cannot be decoded: %2").arg(t->name, problem);
    t->derived = true;
    file.tensors.push_back(t);
    m_byName.insert(t->name, t);
    m_done.insert(prefix, true);
}

QString LayerBuilder::origin() const {
    if (!config)
        return QStringLiteral("no quantization config beside the file: layout inferred "
                              "from the tensors' names and shapes");
    return QStringLiteral("layout from %1").arg(config->file);
}

QString shapeText(const std::vector<int64_t>& shape) {
    QStringList dims;
    for (int64_t d : shape)
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QLatin1String(", ")) + QLatin1Char(']');
}

QString expectTensor(const TensorPtr& t, const std::vector<DType>& dtypes,
                     const std::vector<int64_t>& shape) {
    if (!t->problem.isEmpty())
        return QStringLiteral("%1 cannot be read: %2").arg(t->name, t->problem);
    if (!t->storage || !t->isContiguous() || t->encoding)
        return QStringLiteral("%1 is not a plain contiguous tensor").arg(t->name);
    bool typeOk = false;
    QStringList names;
    for (DType d : dtypes) {
        typeOk = typeOk || t->dtype == d;
        names << dtypeName(d);
    }
    const bool shapeOk = shape.empty() || t->shape == shape;
    if (typeOk && shapeOk) return QString();
    return QStringLiteral("%1 is %2 %3, expected %4 %5")
        .arg(t->name, dtypeName(t->dtype), t->shapeString(), names.join(QLatin1String(" or ")),
             shape.empty() ? QStringLiteral("tensor") : shapeText(shape));
}

namespace {

/// Marks every layer that has stored quantized tensors with \a problem.
void flagAll(LayerBuilder& b, const QString& problem) {
    for (const char* leaf : {"qweight", "weight_packed", "weight_scale_inv"})
        for (const QString& prefix : b.prefixesWith(QLatin1String(leaf)))
            b.addProblem(prefix, b.find(prefix, QLatin1String(leaf)), {}, problem);
}

} // namespace

} // namespace quant

void addLogicalTensors(WeightFile& file, const QString& folder) {
    using namespace quant;
    LayerBuilder b(file, findQuantConfig(folder));
    if (!b.config) {
        buildInferred(b);
        return;
    }
    if (!b.config->problem.isEmpty()) {
        flagAll(b, b.config->problem);
        return;
    }
    const QString& method = b.config->method;
    if (method == QLatin1String("gptq")) {
        buildGptq(b);
    } else if (method == QLatin1String("awq")) {
        buildAwq(b);
    } else if (method == QLatin1String("fp8")) {
        buildScaled(b, QStringLiteral("weight_scale_inv"));
        buildScaled(b, QStringLiteral("weight_scale"));
    } else if (method == QLatin1String("fbgemm_fp8")) {
        buildScaled(b, QStringLiteral("weight_scale"));
    } else if (method == QLatin1String("compressed-tensors")) {
        buildCompressedTensors(b);
    } else {
        flagAll(b, QStringLiteral("quantization method '%1' (%2) is not supported")
                       .arg(method.isEmpty() ? QStringLiteral("(none)") : method, b.config->file));
    }
}

} // namespace ws
