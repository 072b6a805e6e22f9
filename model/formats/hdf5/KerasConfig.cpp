// config.json of a .keras archive: serialize_keras_object(model), whose "config"
// holds "name" and, for models, "layers" (each the same shape again). The weights
// file names its groups after classes (layers/dense_1), so groups are matched to
// layers through the `name` attribute of each `vars` group, one model at a time.
#include "KerasConfig.h"
#include "KerasLayout.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace ws {

namespace {

QString layerName(const QJsonObject& layer) {
    return layer.value(QLatin1String("config")).toObject().value(QLatin1String("name")).toString();
}

QJsonArray sublayers(const QJsonObject& layer) {
    return layer.value(QLatin1String("config")).toObject().value(QLatin1String("layers")).toArray();
}

struct Matcher {
    const Hdf5Scan& scan;
    KerasConfigLayers* out;
    /// (parent folder, layer name) -> folder, from the vars groups' name attributes.
    QHash<QString, QString> folderOf;
    QSet<QString> done;

    static QString key(const QString& parent, const QString& name) {
        return parent + QLatin1Char('\n') + name;
    }

    void index() {
        for (const QString& vars : scan.varsGroups) {
            const QString folder = vars == QLatin1String("vars") ? QString() : vars.chopped(5);
            const auto attrs = scan.attributes.value(vars);
            const QString name = attrs.value(QStringLiteral("name")).join(QString());
            if (folder.isEmpty() || name.isEmpty()) continue;
            const int at = folder.lastIndexOf(QLatin1String("/layers/"));
            const QString parent = at < 0 ? QString() : folder.left(at);
            if (!folderOf.contains(key(parent, name))) folderOf.insert(key(parent, name), folder);
        }
    }

    void add(const QString& folder, const QString& cls, const QString& name) {
        done.insert(folder);
        out->classOf.insert(folder, cls);
        const QString dir = folder.section(QLatin1Char('/'), -1);
        out->modules.push_back(ModuleInfo{folder, kerasShownClass(cls, name, dir), name});
    }

    // The layers of the model at \a folder, in config order, nested models depth first.
    void visit(const QJsonObject& model, const QString& folder, int depth) {
        if (depth > 64) return;
        for (const QJsonValue& v : sublayers(model)) {
            const QJsonObject layer = v.toObject();
            const QString name = layerName(layer);
            const QString child = folderOf.value(key(folder, name));
            if (child.isEmpty() || done.contains(child)) continue; // not saved (InputLayer)
            add(child, layer.value(QLatin1String("class_name")).toString(), name);
            visit(layer, child, depth + 1);
        }
    }
};

} // namespace

bool kerasLayersFromConfig(const QByteArray& configJson, const Hdf5Scan& scan,
                           KerasConfigLayers* out, QString* problem) {
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(configJson, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        *problem = QStringLiteral("config.json is not a JSON object (%1)").arg(err.errorString());
        return false;
    }
    const QJsonObject root = doc.object();
    out->modelClass = root.value(QLatin1String("class_name")).toString();
    out->modelName = layerName(root);
    if (out->modelClass.isEmpty()) {
        *problem = QStringLiteral("config.json names no model class");
        return false;
    }
    Matcher m{scan, out, {}, {}};
    m.index();
    out->modules.push_back(ModuleInfo{
        QString(), kerasShownClass(out->modelClass, out->modelName, QString()), out->modelName});
    m.visit(root, QString(), 0);
    // Saved layers the configuration does not describe: classes from their folders.
    for (const QString& vars : scan.varsGroups) {
        if (vars == QLatin1String("vars")) continue;
        const QString folder = vars.chopped(5);
        if (m.done.contains(folder)) continue;
        const QString name =
            scan.attributes.value(vars).value(QStringLiteral("name")).join(QString());
        m.add(folder, kerasClassFromLayerName(folder.section(QLatin1Char('/'), -1)), name);
    }
    return true;
}

} // namespace ws
