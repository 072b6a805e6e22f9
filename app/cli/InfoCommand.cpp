// `weightscope info FILE [--json] [--stats]`: tensors, parameter counts and the
// layer tree, as a readable table or as one JSON document with a fixed key order.
#include "CliSupport.h"
#include "LayerTree.h"
#include "Statistics.h"

#include <QHash>
#include <charconv>
#include <cmath>

namespace ws::cli {

namespace {

QString jsonString(const QString& s) {
    QString o;
    o.reserve(s.size() + 2);
    o += QLatin1Char('"');
    for (QChar c : s) {
        switch (c.unicode()) {
        case '"':
            o += QLatin1String("\\\"");
            break;
        case '\\':
            o += QLatin1String("\\\\");
            break;
        case '\n':
            o += QLatin1String("\\n");
            break;
        case '\r':
            o += QLatin1String("\\r");
            break;
        case '\t':
            o += QLatin1String("\\t");
            break;
        case '\b':
            o += QLatin1String("\\b");
            break;
        case '\f':
            o += QLatin1String("\\f");
            break;
        default:
            if (c.unicode() < 0x20)
                o += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
            else
                o += c;
        }
    }
    o += QLatin1Char('"');
    return o;
}

/// Shortest text that reads back as the same double; null for NaN and infinities.
QString jsonNumber(double v) {
    if (!std::isfinite(v)) return QStringLiteral("null");
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    return QString::fromLatin1(buf, int(res.ptr - buf));
}

QString shapeJson(const Tensor& t) {
    QStringList dims;
    for (int64_t d : t.shape)
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QLatin1String(", ")) + QLatin1Char(']');
}

bool statsFor(const WeightFile& file, std::vector<TensorStats>* stats) {
    stats->resize(file.tensors.size());
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const Tensor& t = *file.tensors[i];
        QString error;
        if (!t.problem.isEmpty()) continue; // listed with its problem, no statistics
        if (!computeStats(t, &(*stats)[i], &error)) {
            fail(BadInput,
                 QStringLiteral("%1: cannot read tensor '%2': %3").arg(file.path, t.name, error));
            return false;
        }
        t.storage->unload();
    }
    return true;
}

// A typed metadata value: integers exact (64-bit ones too), floats shortest, arrays
// and summaries of arrays as JSON arrays and objects.
QString jsonValue(const QVariant& v) {
    switch (v.typeId()) {
    case QMetaType::ULongLong:
    case QMetaType::UInt:
        return QString::number(v.toULongLong());
    case QMetaType::LongLong:
    case QMetaType::Int:
        return QString::number(v.toLongLong());
    case QMetaType::Double:
    case QMetaType::Float:
        return jsonNumber(v.toDouble());
    case QMetaType::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QMetaType::QVariantList: {
        QStringList items;
        for (const QVariant& x : v.toList())
            items << jsonValue(x);
        return QLatin1Char('[') + items.join(QLatin1String(", ")) + QLatin1Char(']');
    }
    case QMetaType::QVariantMap: {
        QStringList items;
        const QVariantMap m = v.toMap();
        for (auto it = m.begin(); it != m.end(); ++it)
            items << jsonString(it.key()) + QLatin1String(": ") + jsonValue(it.value());
        return QLatin1Char('{') + items.join(QLatin1String(", ")) + QLatin1Char('}');
    }
    default:
        return jsonString(v.toString());
    }
}

QString infoJson(const WeightFile& file, const LayerNode& root,
                 const std::vector<TensorStats>* stats) {
    QString o = QStringLiteral("{\n  \"format\": %1,\n").arg(jsonString(file.formatId));
    if (!file.typedMetadata.empty()) {
        QStringList items;
        for (const auto& [key, value] : file.typedMetadata)
            items << QLatin1String("    ") + jsonString(key) + QLatin1String(": ") +
                         jsonValue(value);
        o += QLatin1String("  \"metadata\": {\n") + items.join(QLatin1String(",\n")) +
             QLatin1String("\n  },\n");
    } else if (!file.metadata.isEmpty()) {
        QStringList items;
        for (auto it = file.metadata.begin(); it != file.metadata.end(); ++it)
            items << jsonString(it.key()) + QLatin1String(": ") + jsonString(it.value());
        o += QLatin1String("  \"metadata\": {") + items.join(QLatin1String(", ")) +
             QLatin1String("},\n");
    }
    QStringList tensors;
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const Tensor& t = *file.tensors[i];
        QString item = QStringLiteral("    {\"name\": %1, \"shape\": %2, \"dtype\": %3, "
                                      "\"numel\": %4")
                           .arg(jsonString(t.name), shapeJson(t), jsonString(t.typeName()))
                           .arg(t.numel());
        if (t.storage && t.storage->fileOffset() >= 0)
            item += QStringLiteral(", \"file_offset\": %1, \"bytes\": %2")
                        .arg(t.storage->fileOffset())
                        .arg(t.storage->byteSize());
        // An encoded tensor says how it is decoded (a quantized layer: from what).
        if (t.encoding)
            item += QStringLiteral(", \"encoding\": %1").arg(jsonString(t.encoding->description()));
        if (t.derived) item += QStringLiteral(", \"derived\": true");
        if (!t.problem.isEmpty())
            item += QStringLiteral(", \"problem\": %1").arg(jsonString(t.problem));
        if (stats) {
            const TensorStats& s = (*stats)[i];
            const bool none = s.count == 0 || !t.problem.isEmpty();
            item += QStringLiteral(", \"min\": %1, \"max\": %2, \"mean\": %3, \"std\": %4")
                        .arg(none ? QStringLiteral("null") : jsonNumber(s.min),
                             none ? QStringLiteral("null") : jsonNumber(s.max),
                             none ? QStringLiteral("null") : jsonNumber(s.mean),
                             none ? QStringLiteral("null") : jsonNumber(s.std));
        }
        tensors << item + QLatin1Char('}');
    }
    o += QLatin1String("  \"tensors\": [") +
         (tensors.isEmpty()
              ? QString()
              : QLatin1Char('\n') + tensors.join(QLatin1String(",\n")) + QLatin1String("\n  ")) +
         QLatin1String("],\n");
    QStringList layers;
    for (const LayerNode* n : flattenLayers(root)) {
        QStringList names;
        for (int i : n->tensors)
            names << jsonString(file.tensors[size_t(i)]->name);
        QStringList packed; // stored tensors its quantized weights are computed from
        for (const auto& [by, held] : n->packed)
            for (int i : held)
                packed << jsonString(file.tensors[size_t(i)]->name);
        layers << QStringLiteral("    {\"path\": %1, \"kind\": %2, \"tensors\": [%3]%4}")
                      .arg(jsonString(n->path), jsonString(n->kind),
                           names.join(QLatin1String(", ")),
                           packed.isEmpty() ? QString()
                                            : QStringLiteral(", \"packed\": [%1]")
                                                  .arg(packed.join(QLatin1String(", "))));
    }
    o += QLatin1String("  \"layers\": [") +
         (layers.isEmpty()
              ? QString()
              : QLatin1Char('\n') + layers.join(QLatin1String(",\n")) + QLatin1String("\n  ")) +
         QLatin1String("]\n}\n");
    return o;
}

QString pad(const QString& s, int width) {
    return s.leftJustified(width, QLatin1Char(' '));
}

QString statText(double v) {
    return QString::number(v, 'g', 6);
}

void printTree(const LayerNode& node, int depth, QString* o) {
    for (const auto& c : node.children) {
        QString line = QString(depth * 2 + 2, QLatin1Char(' ')) + c->name;
        if (!c->kind.isEmpty()) line += QLatin1String("  ") + c->kind;
        if (!c->detail.isEmpty()) line += QLatin1String(" (") + c->detail + QLatin1Char(')');
        line += QLatin1String("  ") + formatCount(c->parameterCount);
        *o += line + QLatin1Char('\n');
        printTree(*c, depth + 1, o);
    }
}

QString infoText(const WeightFile& file, const LayerNode& root,
                 const std::vector<TensorStats>* stats) {
    QString o;
    o += QStringLiteral("File:       %1\n").arg(file.path);
    o += file.formatName == file.formatId
             ? QStringLiteral("Format:     %1\n").arg(file.formatId)
             : QStringLiteral("Format:     %1 (%2)\n").arg(file.formatName, file.formatId);
    o += QStringLiteral("Tensors:    %1\n").arg(file.tensors.size());
    const int64_t params = file.parameterCount();
    o += QStringLiteral("Parameters: %1 (%2)\n").arg(params).arg(formatCount(params));
    if (!file.metadata.isEmpty()) {
        o += QStringLiteral("Metadata:\n");
        for (auto it = file.metadata.begin(); it != file.metadata.end(); ++it)
            o += QStringLiteral("  %1 = %2\n").arg(it.key(), it.value());
    }
    int nameWidth = 4, shapeWidth = 5;
    for (const auto& t : file.tensors) {
        nameWidth = std::max(nameWidth, int(t->name.size()));
        shapeWidth = std::max(shapeWidth, int(t->shapeString().size()));
    }
    nameWidth = std::min(nameWidth, 80);
    o += QLatin1Char('\n') + pad(QStringLiteral("Name"), nameWidth) + QLatin1String("  ") +
         pad(QStringLiteral("Shape"), shapeWidth) + QLatin1String("  ") +
         pad(QStringLiteral("DType"), 13) + QLatin1String("  ") +
         pad(QStringLiteral("Parameters"), 12);
    if (stats)
        o += QLatin1String("  ") + pad(QStringLiteral("Min"), 13) + pad(QStringLiteral("Max"), 13) +
             pad(QStringLiteral("Mean"), 13) + QStringLiteral("Std");
    o = o.trimmed() + QLatin1Char('\n');
    for (size_t i = 0; i < file.tensors.size(); ++i) {
        const Tensor& t = *file.tensors[i];
        QString line = pad(t.name, nameWidth) + QLatin1String("  ") +
                       pad(t.shapeString(), shapeWidth) + QLatin1String("  ") +
                       pad(t.typeName(), 13) + QLatin1String("  ") +
                       pad(QString::number(t.numel()), 12);
        if (!t.problem.isEmpty()) {
            line += QLatin1String("  (damaged: see below)");
        } else if (stats) {
            const TensorStats& s = (*stats)[i];
            line += QLatin1String("  ") + pad(statText(s.min), 12) + QLatin1Char(' ') +
                    pad(statText(s.max), 12) + QLatin1Char(' ') + pad(statText(s.mean), 12) +
                    QLatin1Char(' ') + statText(s.std);
        }
        o += line.trimmed() + QLatin1Char('\n');
    }
    QStringList encoded, damaged;
    for (const auto& t : file.tensors) {
        if (!t->problem.isEmpty()) {
            QString why = t->problem;
            const QString own = QStringLiteral("tensor %1: ").arg(t->name);
            if (why.startsWith(own)) why = why.mid(own.size());
            damaged << QStringLiteral("  %1: %2").arg(t->name, why);
        }
        if (t->encoding)
            encoded << QStringLiteral("  %1: %2, %3")
                           .arg(t->name, t->typeName(), t->encoding->description());
    }
    if (!encoded.isEmpty())
        o += QStringLiteral("\nEncoded (shown decoded, read-only):\n") +
             encoded.join(QLatin1Char('\n')) + QLatin1Char('\n');
    if (!damaged.isEmpty())
        o += QStringLiteral("\nDamaged (listed, not readable; saved as they are):\n") +
             damaged.join(QLatin1Char('\n')) + QLatin1Char('\n');
    o += QStringLiteral("\nLayers:\n");
    printTree(root, 0, &o);
    return o;
}

} // namespace

QString infoHelp() {
    return QStringLiteral(
        "Usage: weightscope info FILE [--json] [--stats]\n\n"
        "Lists the tensors of FILE (name, shape, dtype, parameters), the format, the total\n"
        "parameter count and the layer tree. Reads only the file's structure unless --stats.\n\n"
        "Options:\n"
        "  --json     print one JSON document: {\"format\", \"metadata\", \"tensors\": "
        "[{\"name\",\n"
        "             \"shape\", \"dtype\", \"numel\"}], \"layers\": [{\"path\", \"kind\", "
        "\"tensors\"}]}\n"
        "             (dtype names an encoding such as \"q4_K\", described by \"encoding\";\n"
        "             tensors lying in the file as-is add \"file_offset\" and \"bytes\";\n"
        "             unreadable ones a \"problem\"; a quantized layer's weight adds \"derived\",\n"
        "             its layer \"packed\"; GGUF metadata values are typed, arrays given as\n"
        "             {length, first, type})\n"
        "  --stats    add min, max, mean and std of every tensor (reads all values;\n"
        "             NaN and infinity become null in JSON)\n"
        "  -h, --help show this help\n"
        "Use -- before a FILE name that starts with '-'.\n");
}

int runInfo(const QStringList& argList) {
    bool json = false, withStats = false, optionsDone = false;
    QStringList positional;
    for (const QString& a : argList) {
        if (!optionsDone && a == QLatin1String("--")) {
            optionsDone = true;
        } else if (!optionsDone && looksLikeOption(a)) {
            if (a == QLatin1String("--json")) {
                json = true;
            } else if (a == QLatin1String("--stats")) {
                withStats = true;
            } else if (a == QLatin1String("-h") || a == QLatin1String("--help")) {
                out(infoHelp());
                return Success;
            } else {
                return fail(BadUsage, QStringLiteral("info: unknown option '%1' (see "
                                                     "`weightscope help info`)")
                                          .arg(a));
            }
        } else {
            positional << a;
        }
    }
    if (positional.isEmpty())
        return fail(BadUsage, QStringLiteral("info: missing FILE (usage: weightscope info FILE "
                                             "[--json] [--stats])"));
    if (positional.size() > 1)
        return fail(BadUsage, QStringLiteral("info: unexpected argument '%1'").arg(positional[1]));
    auto file = openOrReport(positional.first());
    if (!file) return BadInput;
    std::vector<TensorStats> stats;
    if (withStats && !statsFor(*file, &stats)) return BadInput;
    const auto root = buildLayerTree(*file);
    out(json ? infoJson(*file, *root, withStats ? &stats : nullptr)
             : infoText(*file, *root, withStats ? &stats : nullptr));
    return Success;
}

} // namespace ws::cli
