// Keras conventions on top of a plain HDF5 scan: Keras 2 lists layers in the
// `layer_names` attribute and each layer's weights in `weight_names`; Keras 3
// keeps each layer's variables in `layers/<name>/vars/<i>` with the layer's name
// as the `name` attribute of `vars`. Kernels are stored input-major.
#include "KerasLayout.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

namespace ws {

QString kerasClassFromLayerName(const QString& name) {
    static const QRegularExpression suffix(QStringLiteral("_\\d+$"));
    static const QRegularExpression dims(QStringLiteral("(\\d)d(?=[A-Z]|$)"));
    static const QHash<QString, QString> words = {
        {QStringLiteral("lstm"), QStringLiteral("LSTM")},
        {QStringLiteral("gru"), QStringLiteral("GRU")},
        {QStringLiteral("rnn"), QStringLiteral("RNN")},
        {QStringLiteral("prelu"), QStringLiteral("PReLU")},
        {QStringLiteral("relu"), QStringLiteral("ReLU")},
        {QStringLiteral("elu"), QStringLiteral("ELU")},
    };
    QString base = name;
    base.remove(suffix);
    QString out;
    for (const QString& part : base.split(QLatin1Char('_'), Qt::SkipEmptyParts)) {
        auto w = words.find(part.toLower());
        out += w != words.end() ? w.value() : part.left(1).toUpper() + part.mid(1);
    }
    out.replace(dims, QStringLiteral("\\1D"));
    return out;
}

namespace {

// "kernel" for "conv/kernel:0".
QString leafRole(const QString& path) {
    QString leaf = path.mid(path.lastIndexOf(QLatin1Char('/')) + 1);
    const int colon = leaf.lastIndexOf(QLatin1Char(':'));
    if (colon > 0) leaf.truncate(colon);
    return leaf;
}

// The attribute \a name of the group at \a path, or nothing.
const QStringList* attribute(const Hdf5Scan& scan, const QString& path, const char* name) {
    auto group = scan.attributes.constFind(path);
    if (group == scan.attributes.constEnd()) return nullptr;
    auto it = group->constFind(QLatin1String(name));
    return it == group->constEnd() ? nullptr : &it.value();
}

QString firstString(const Hdf5Scan& scan, const QString& path, const char* name) {
    const QStringList* values = attribute(scan, path, name);
    return values ? values->join(QString()) : QString();
}

// Layer name -> class name from the `model_config` JSON, when there is one.
QHash<QString, QString> classesFromConfig(const Hdf5Scan& scan) {
    QHash<QString, QString> classes;
    const QString json = firstString(scan, QString(), "model_config");
    if (json.isEmpty()) return classes;
    const QJsonObject root = QJsonDocument::fromJson(json.toUtf8()).object();
    const QJsonValue config = root.value(QLatin1String("config"));
    const QJsonArray layers = config.isArray()
                                  ? config.toArray()
                                  : config.toObject().value(QLatin1String("layers")).toArray();
    for (const QJsonValue& v : layers) {
        const QJsonObject layer = v.toObject();
        QString name =
            layer.value(QLatin1String("config")).toObject().value(QLatin1String("name")).toString();
        if (name.isEmpty()) name = layer.value(QLatin1String("name")).toString();
        const QString cls = layer.value(QLatin1String("class_name")).toString();
        if (!name.isEmpty() && !cls.isEmpty()) classes.insert(name, cls);
    }
    return classes;
}

// Moves the datasets named in \a order to the front, in that order.
void reorder(Hdf5Layout* layout, const QStringList& order) {
    QHash<QString, size_t> index;
    for (size_t i = 0; i < layout->datasets.size(); ++i)
        index.insert(layout->datasets[i].path, i);
    std::vector<Hdf5Dataset> sorted;
    std::vector<bool> used(layout->datasets.size(), false);
    for (const QString& path : order) {
        auto it = index.find(path);
        if (it == index.end() || used[it.value()]) continue;
        used[it.value()] = true;
        sorted.push_back(layout->datasets[it.value()]);
    }
    for (size_t i = 0; i < layout->datasets.size(); ++i)
        if (!used[i]) sorted.push_back(layout->datasets[i]);
    layout->datasets = std::move(sorted);
}

bool applyKeras2(const Hdf5Scan& scan, Hdf5Layout* layout) {
    QString prefix;
    const QStringList* layerNames = attribute(scan, QStringLiteral("model_weights"), "layer_names");
    if (layerNames)
        prefix = QStringLiteral("model_weights/");
    else
        layerNames = attribute(scan, QString(), "layer_names");
    if (!layerNames) return false;
    const QHash<QString, QString> classes = classesFromConfig(scan);
    const QString version = firstString(scan, QString(), "keras_version");
    layout->formatName =
        QStringLiteral("Keras%1 HDF5 %2")
            .arg(version.isEmpty() ? QString() : QLatin1Char(' ') + version,
                 prefix.isEmpty() ? QStringLiteral("weights") : QStringLiteral("model"));
    QHash<QString, Hdf5Dataset*> byPath;
    for (Hdf5Dataset& d : layout->datasets)
        byPath.insert(d.path, &d);
    QStringList order;
    for (const QString& layer : *layerNames) {
        const QString layerPath = prefix + layer;
        const QString cls = classes.value(layer, kerasClassFromLayerName(layer));
        layout->modules.push_back(ModuleInfo{layerPath, cls, cls});
        const QStringList* weights = attribute(scan, layerPath, "weight_names");
        if (!weights) {
            layout->otherEntries << layerPath + QStringLiteral(": listed in layer_names but has "
                                                               "no weight_names");
            continue;
        }
        for (const QString& w : *weights) {
            const QString path = layerPath + QLatin1Char('/') + w;
            Hdf5Dataset* d = byPath.value(path);
            if (!d) {
                layout->otherEntries << path + QStringLiteral(": listed in weight_names but "
                                                              "not a numeric dataset");
                continue;
            }
            order << path;
            if (leafRole(path) == QLatin1String("kernel") && d->shape.size() >= 2 &&
                !cls.contains(QLatin1String("Transpose")))
                d->inputMajor = true;
        }
    }
    reorder(layout, order);
    return true;
}

bool applyKeras3(const Hdf5Scan& scan, Hdf5Layout* layout) {
    static const QRegularExpression varPath(QStringLiteral("^(layers/.+)/vars/(\\d+)$"));
    static const QRegularExpression conv(QStringLiteral("^Conv[123]D$"));
    bool any = false;
    for (Hdf5Dataset& d : layout->datasets) {
        const QRegularExpressionMatch m = varPath.match(d.path);
        if (!m.hasMatch()) continue;
        any = true;
        const QString layerPath = m.captured(1);
        const QString cls = kerasClassFromLayerName(layerPath.section(QLatin1Char('/'), -1));
        if (m.captured(2) == QLatin1String("0") &&
            ((cls == QLatin1String("Dense") && d.shape.size() == 2) ||
             (conv.match(cls).hasMatch() && d.shape.size() >= 3)))
            d.inputMajor = true;
    }
    if (!any) return false;
    // One module per layer folder with a vars group, in walk order, weightless ones too.
    QSet<QString> seen;
    auto addModule = [&](const QString& layerPath) {
        if (seen.contains(layerPath)) return;
        seen.insert(layerPath);
        const QString dirName = layerPath.section(QLatin1Char('/'), -1);
        const QString cls = kerasClassFromLayerName(dirName);
        const QString name = firstString(scan, layerPath + QStringLiteral("/vars"), "name");
        layout->modules.push_back(ModuleInfo{layerPath, kerasShownClass(cls, name, dirName),
                                             name.isEmpty() ? cls : name});
    };
    for (const QString& vars : scan.varsGroups)
        if (vars.startsWith(QLatin1String("layers/"))) addModule(vars.chopped(5));
    for (const Hdf5Dataset& d : layout->datasets) {
        const QRegularExpressionMatch m = varPath.match(d.path);
        if (m.hasMatch()) addModule(m.captured(1));
    }
    layout->formatName = QStringLiteral("Keras 3 weights (HDF5)");
    return true;
}

// Short string attributes of the root group (keras_version, backend, ...).
QMap<QString, QString> rootMetadata(const Hdf5Scan& scan) {
    QMap<QString, QString> metadata;
    const auto root = scan.attributes.constFind(QString());
    if (root == scan.attributes.constEnd()) return metadata;
    for (auto it = root->begin(); it != root->end(); ++it) {
        const QString value = it.value().join(QStringLiteral(", "));
        if (value.size() <= 1000) metadata.insert(it.key(), value);
    }
    return metadata;
}

} // namespace

QString kerasShownClass(const QString& className, const QString& name, const QString& folder) {
    return name.isEmpty() || name == folder ? className
                                            : className + QStringLiteral(" (") + name + ')';
}

Hdf5Layout kerasLayout(Hdf5Scan scan) {
    Hdf5Layout layout;
    layout.datasets = std::move(scan.datasets);
    layout.otherEntries = std::move(scan.otherEntries);
    layout.metadata = rootMetadata(scan);
    if (!applyKeras2(scan, &layout)) applyKeras3(scan, &layout);
    return layout;
}

} // namespace ws
