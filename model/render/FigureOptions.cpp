// Lengths with units, and the default texts of a heatmap figure.
#include "FigureOptions.h"

#include "LayerTree.h"
#include "Tensor.h"
#include "WeightFile.h"

#include <QRegularExpression>
#include <cmath>

namespace ws {

bool parseLength(const QString& text, double* points) {
    static const QRegularExpression re(
        QStringLiteral("^\\s*([0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\\s*(in|cm|mm|pt)\\s*$"),
        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch()) return false;
    bool ok = false;
    const double v = m.captured(1).toDouble(&ok);
    if (!ok || !std::isfinite(v) || !(v > 0)) return false;
    const QString unit = m.captured(2).toLower();
    double perUnit = 1;
    if (unit == QLatin1String("in"))
        perUnit = 72;
    else if (unit == QLatin1String("cm"))
        perUnit = 72 / 2.54;
    else if (unit == QLatin1String("mm"))
        perUnit = 72 / 25.4;
    if (points) *points = v * perUnit;
    return true;
}

namespace {

const LayerNode* holderOf(const LayerNode* node, int index) {
    for (int i : node->tensors)
        if (i == index) return node;
    for (const auto& c : node->children)
        if (const LayerNode* n = holderOf(c.get(), index)) return n;
    return nullptr;
}

} // namespace

QString layerKindOf(const WeightFile& file, const QString& name) {
    const int index = file.indexOf(name);
    if (index < 0) return QString();
    const std::unique_ptr<LayerNode> root = buildLayerTree(file);
    const LayerNode* node = holderOf(root.get(), index);
    return node ? node->kind : QString();
}

void defaultAxisLabels(const Tensor& t, const QString& layerKind, QString* xLabel,
                       QString* yLabel) {
    // Whole-module pickles name the class ("Linear", "NonDynamicallyQuantizableLinear").
    // GPT-2's Conv1D is a Linear whose weight is stored (in, out).
    const bool conv1d = layerKind == QLatin1String("Conv1D");
    const bool linear = layerKind.endsWith(QLatin1String("Linear")) ||
                        layerKind == QLatin1String("Dense") || conv1d;
    if (t.rank() == 2 && linear) {
        // Drawn as stored: rows are outputs, unless the kernel is stored (in, out).
        const bool inOut = t.inputMajor || conv1d;
        *xLabel = inOut ? QStringLiteral("out") : QStringLiteral("in");
        *yLabel = inOut ? QStringLiteral("in") : QStringLiteral("out");
        return;
    }
    *yLabel = QStringLiteral("dim 0");
    *xLabel =
        t.rank() > 2 ? QStringLiteral("dims 1\u2013%1").arg(t.rank() - 1) : QStringLiteral("dim 1");
}

} // namespace ws
