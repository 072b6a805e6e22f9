// Keras conventions on top of a plain HDF5 walk: Keras 2 lists layers in the
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

using hdf5::Handle;

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

QString firstString(hid_t obj, const char* name) {
    QStringList values;
    if (!hdf5::readStringAttribute(obj, name, &values) || values.isEmpty()) return QString();
    return values.join(QString());
}

// Layer name -> class name from the `model_config` JSON, when there is one.
QHash<QString, QString> classesFromConfig(hid_t file) {
    QHash<QString, QString> classes;
    const QString json = firstString(file, "model_config");
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

bool applyKeras2(hid_t file, Hdf5Layout* layout) {
    QString prefix;
    QStringList layerNames;
    Handle group;
    if (H5Lexists(file, "model_weights", H5P_DEFAULT) > 0) {
        group.reset(H5Gopen2(file, "model_weights", H5P_DEFAULT));
        if (group.valid() &&
            hdf5::readSplitStringAttribute(group.id(), QStringLiteral("layer_names"), &layerNames))
            prefix = QStringLiteral("model_weights/");
    }
    H5Eclear2(H5E_DEFAULT);
    if (prefix.isEmpty()) {
        group.reset(H5Gopen2(file, "/", H5P_DEFAULT));
        if (!group.valid() ||
            !hdf5::readSplitStringAttribute(group.id(), QStringLiteral("layer_names"), &layerNames))
            return false;
    }
    const QHash<QString, QString> classes = classesFromConfig(file);
    const QString version = firstString(file, "keras_version");
    layout->formatName =
        QStringLiteral("Keras%1 HDF5 %2")
            .arg(version.isEmpty() ? QString() : QLatin1Char(' ') + version,
                 prefix.isEmpty() ? QStringLiteral("weights") : QStringLiteral("model"));
    QHash<QString, Hdf5Dataset*> byPath;
    for (Hdf5Dataset& d : layout->datasets)
        byPath.insert(d.path, &d);
    QStringList order;
    for (const QString& layer : layerNames) {
        const QString layerPath = prefix + layer;
        const QString cls = classes.value(layer, kerasClassFromLayerName(layer));
        layout->modules.push_back(ModuleInfo{layerPath, cls, cls});
        Handle layerGroup(H5Gopen2(group.id(), layer.toUtf8().constData(), H5P_DEFAULT));
        QStringList weights;
        if (!layerGroup.valid() || !hdf5::readSplitStringAttribute(
                                       layerGroup.id(), QStringLiteral("weight_names"), &weights)) {
            H5Eclear2(H5E_DEFAULT);
            layout->otherEntries << layerPath + QStringLiteral(": listed in layer_names but has "
                                                               "no weight_names");
            continue;
        }
        for (const QString& w : weights) {
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

bool applyKeras3(hid_t file, Hdf5Layout* layout) {
    if (H5Lexists(file, "layers", H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    static const QRegularExpression varPath(QStringLiteral("^(layers/.+)/vars/(\\d+)$"));
    static const QRegularExpression conv(QStringLiteral("^Conv[123]D$"));
    QSet<QString> seen;
    for (Hdf5Dataset& d : layout->datasets) {
        const QRegularExpressionMatch m = varPath.match(d.path);
        if (!m.hasMatch()) continue;
        const QString layerPath = m.captured(1);
        const QString dirName = layerPath.mid(layerPath.lastIndexOf(QLatin1Char('/')) + 1);
        const QString cls = kerasClassFromLayerName(dirName);
        if (m.captured(2) == QLatin1String("0") &&
            ((cls == QLatin1String("Dense") && d.shape.size() == 2) ||
             (conv.match(cls).hasMatch() && d.shape.size() >= 3)))
            d.inputMajor = true;
        if (seen.contains(layerPath)) continue;
        seen.insert(layerPath);
        Handle vars(H5Gopen2(file, (layerPath + QStringLiteral("/vars")).toUtf8().constData(),
                             H5P_DEFAULT));
        const QString name = vars.valid() ? firstString(vars.id(), "name") : QString();
        H5Eclear2(H5E_DEFAULT);
        // The tree already shows the folder name; add the layer's own name when it differs.
        const QString shown =
            name.isEmpty() || name == dirName ? cls : cls + QStringLiteral(" (") + name + ')';
        layout->modules.push_back(ModuleInfo{layerPath, shown, name.isEmpty() ? cls : name});
    }
    if (seen.isEmpty()) return false;
    layout->formatName = QStringLiteral("Keras 3 weights (HDF5)");
    return true;
}

} // namespace

void applyKerasLayout(hid_t file, Hdf5Layout* layout) {
    if (!applyKeras2(file, layout)) applyKeras3(file, layout);
    H5Eclear2(H5E_DEFAULT);
}

} // namespace ws
