// The scan report between the HDF5 helper and the format, as JSON, and the
// limit on what one chunked dataset may decompress to.
#include "Hdf5Scan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>

namespace ws {

namespace {

QJsonArray strings(const QStringList& list) {
    QJsonArray a;
    for (const QString& s : list)
        a.append(s);
    return a;
}

QStringList stringList(const QJsonValue& v) {
    QStringList out;
    for (const QJsonValue& s : v.toArray())
        out << s.toString();
    return out;
}

} // namespace

QByteArray hdf5ScanToJson(const Hdf5Scan& scan) {
    QJsonArray datasets;
    for (const Hdf5Dataset& d : scan.datasets) {
        QJsonArray shape;
        for (int64_t n : d.shape)
            shape.append(qint64(n));
        QJsonObject o{{QStringLiteral("path"), d.path},
                      {QStringLiteral("dtype"), dtypeName(d.dtype)},
                      {QStringLiteral("shape"), shape},
                      {QStringLiteral("raw"), d.rawOffset},
                      {QStringLiteral("chunk"), d.chunkBytes}};
        if (!d.problem.isEmpty()) o.insert(QStringLiteral("problem"), d.problem);
        datasets.append(o);
    }
    QJsonObject attributes;
    for (auto g = scan.attributes.begin(); g != scan.attributes.end(); ++g) {
        QJsonObject attrs;
        for (auto a = g.value().begin(); a != g.value().end(); ++a)
            attrs.insert(a.key(), strings(a.value()));
        attributes.insert(g.key(), attrs);
    }
    const QJsonObject root{{QStringLiteral("datasets"), datasets},
                           {QStringLiteral("other"), strings(scan.otherEntries)},
                           {QStringLiteral("attributes"), attributes},
                           {QStringLiteral("vars"), strings(scan.varsGroups)}};
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

bool hdf5ScanFromJson(const QByteArray& json, Hdf5Scan* scan, QString* problem) {
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        *problem =
            QStringLiteral("the HDF5 helper's report is not JSON (%1)").arg(err.errorString());
        return false;
    }
    const QJsonObject root = doc.object();
    *scan = Hdf5Scan();
    for (const QJsonValue& v : root.value(QLatin1String("datasets")).toArray()) {
        const QJsonObject o = v.toObject();
        Hdf5Dataset d;
        d.path = o.value(QLatin1String("path")).toString();
        const auto dtype = dtypeFromName(o.value(QLatin1String("dtype")).toString());
        if (d.path.isEmpty() || !dtype) {
            *problem = QStringLiteral("the HDF5 helper's report names a dataset without a path "
                                      "or type");
            return false;
        }
        d.dtype = *dtype;
        for (const QJsonValue& n : o.value(QLatin1String("shape")).toArray())
            d.shape.push_back(n.toInteger(-1));
        if (std::any_of(d.shape.begin(), d.shape.end(), [](int64_t n) { return n < 0; })) {
            *problem = QStringLiteral("the HDF5 helper's report gives dataset %1 a negative "
                                      "dimension")
                           .arg(d.path);
            return false;
        }
        d.rawOffset = o.value(QLatin1String("raw")).toInteger(-1);
        d.chunkBytes = std::max<qint64>(0, o.value(QLatin1String("chunk")).toInteger(0));
        d.problem = o.value(QLatin1String("problem")).toString();
        scan->datasets.push_back(std::move(d));
    }
    scan->otherEntries = stringList(root.value(QLatin1String("other")));
    const QJsonObject attributes = root.value(QLatin1String("attributes")).toObject();
    for (auto g = attributes.begin(); g != attributes.end(); ++g) {
        QMap<QString, QStringList>& attrs = scan->attributes[g.key()];
        const QJsonObject o = g.value().toObject();
        for (auto a = o.begin(); a != o.end(); ++a)
            attrs.insert(a.key(), stringList(a.value()));
    }
    scan->varsGroups = stringList(root.value(QLatin1String("vars")));
    return true;
}

qint64 hdf5ChunkedLimit(qint64 fileSize) {
    const qint64 cap = qint64(64) << 30;
    return std::min(cap, std::max<qint64>(fileSize, 1024) * 1000);
}

} // namespace ws
