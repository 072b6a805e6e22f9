// Finding and reading the quantization config beside a model.
#include "QuantizedConfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <cmath>

namespace ws::quant {

namespace {

/// Largest config we read: hub configs are a few kilobytes.
constexpr qint64 kMaxConfigBytes = 16 << 20;

/// Reads \a path as a JSON object; false when absent. A present but unusable file
/// sets \a problem.
bool readJsonObject(const QString& path, QJsonObject* out, QString* problem) {
    QFile f(path);
    if (!f.exists()) return false;
    const QString name = QFileInfo(path).fileName();
    if (!f.open(QIODevice::ReadOnly)) {
        *problem = QStringLiteral("%1 cannot be read: %2").arg(name, f.errorString());
        return true;
    }
    if (f.size() > kMaxConfigBytes) {
        *problem = QStringLiteral("%1 is %2 bytes, too large for a config").arg(name).arg(f.size());
        return true;
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError) {
        *problem = QStringLiteral("%1 is not valid JSON (%2 at byte %3)")
                       .arg(name, err.errorString())
                       .arg(err.offset);
        return true;
    }
    if (!doc.isObject()) {
        *problem = QStringLiteral("%1 is not a JSON object").arg(name);
        return true;
    }
    *out = doc.object();
    return true;
}

} // namespace

std::optional<int64_t> intMember(const QJsonObject& o, const QString& key) {
    const QJsonValue v = o.value(key);
    if (!v.isDouble()) return std::nullopt;
    const double d = v.toDouble();
    if (!std::isfinite(d) || d != std::floor(d) || std::abs(d) > 9007199254740992.0)
        return std::nullopt;
    return int64_t(d);
}

bool boolMember(const QJsonObject& o, const QString& key, bool fallback) {
    const QJsonValue v = o.value(key);
    return v.isBool() ? v.toBool() : fallback;
}

QString stringMember(const QJsonObject& o, const QString& key) {
    const QJsonValue v = o.value(key);
    return v.isString() ? v.toString().toLower() : QString();
}

std::optional<QuantConfig> findQuantConfig(const QString& folder) {
    const QDir dir(folder);
    QuantConfig c;
    QJsonObject root;
    c.file = QStringLiteral("config.json");
    if (readJsonObject(dir.filePath(c.file), &root, &c.problem)) {
        if (!c.problem.isEmpty()) return c;
        for (const char* key : {"quantization_config", "compression_config"}) {
            const QJsonValue v = root.value(QLatin1String(key));
            if (v.isUndefined() || v.isNull()) continue;
            if (!v.isObject()) {
                c.problem = QStringLiteral("config.json: %1 is not an object").arg(key);
                return c;
            }
            c.object = v.toObject();
            c.method = stringMember(c.object, QStringLiteral("quant_method"));
            if (c.method.isEmpty() && QLatin1String(key) == QLatin1String("compression_config"))
                c.method = QStringLiteral("compressed-tensors");
            return c;
        }
    }
    // AutoGPTQ's and AutoAWQ's own files (older models carry only these).
    for (const char* name : {"quantize_config.json", "quant_config.json"}) {
        QuantConfig d;
        d.file = QLatin1String(name);
        if (!readJsonObject(dir.filePath(d.file), &d.object, &d.problem)) continue;
        d.method = stringMember(d.object, QStringLiteral("quant_method"));
        if (d.method.isEmpty())
            d.method = d.file == QLatin1String("quant_config.json") ? QStringLiteral("awq")
                                                                    : QStringLiteral("gptq");
        return d;
    }
    return std::nullopt;
}

} // namespace ws::quant
