// safetensors writing. Same-format saves reuse the header byte for byte and
// copy every untouched tensor from the source; conversions lay the tensors out
// contiguously in file order (shared storages become separate copies, as the
// format has no aliasing), header padded with spaces to a multiple of 8.
#include "SafetensorsWriter.h"
#include "SafetensorsState.h"
#include "TensorBytes.h"

#include <QFileDevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>
#include <algorithm>

namespace ws {

namespace {

QByteArray jsonString(const QString& s) {
    QByteArray a = QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact);
    return a.mid(1, a.size() - 2); // strip [ ]
}

bool writeLength(QIODevice* out, quint64 n, QString* error) {
    char buf[8];
    qToLittleEndian<quint64>(n, buf);
    return writeAll(out, buf, 8, QStringLiteral("header length"), error);
}

} // namespace

bool writeSafetensorsFaithful(const WeightFile& file, const SafetensorsHeader& h, QIODevice* out,
                              QString* error) {
    if (!h.damage.isEmpty()) {
        // Its damaged tensors have no bytes to keep, and writing it another way would
        // change what nobody asked to change: a damaged file is only shown.
        *error =
            QStringLiteral("%1: the file is damaged (%2), so it is opened read-only: safetensors "
                           "readers reject it, and its damaged tensors have no bytes a save "
                           "could keep; nothing was written")
                .arg(h.path, h.damage);
        return false;
    }
    if (!writeLength(out, quint64(h.headerLength), error)) return false;
    if (!writeAll(out, h.json.constData(), h.json.size(), QStringLiteral("header"), error))
        return false;
    // Tensors in data order; the reader checked that they tile the data section.
    std::vector<std::pair<const SafetensorsEntry*, TensorPtr>> order;
    for (const SafetensorsEntry& e : h.entries)
        order.push_back({&e, file.find(e.name)});
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first->begin < b.first->begin; });
    for (const auto& [e, t] : order) {
        if (t && t->storage && t->storage->isDirty()) {
            if (!writeTensorBytes(*t, out, error)) return false;
        } else if (!copyFileRange(h.path, h.fileOffset(*e), e->end - e->begin, out, error)) {
            return false;
        }
    }
    return true;
}

namespace {

bool writeConverted(const WeightFile& file, QIODevice* out, QString* error) {
    QByteArray header = "{\"__metadata__\":{";
    bool first = true;
    QMap<QString, QString> meta = file.metadata;
    if (!meta.contains(QStringLiteral("format"))) meta.insert(QStringLiteral("format"), "pt");
    for (auto it = meta.begin(); it != meta.end(); ++it) {
        header += (first ? "" : ",") + jsonString(it.key()) + ':' + jsonString(it.value());
        first = false;
    }
    header += '}';
    qint64 offset = 0;
    for (const TensorPtr& t : file.tensors) {
        const QString problem = t->validate();
        if (!problem.isEmpty()) {
            *error = QStringLiteral("%1: %2").arg(file.path, problem);
            return false;
        }
        const qint64 size = t->numel() * dtypeSize(t->dtype);
        QByteArray shape;
        for (int64_t d : t->shape)
            shape += (shape.isEmpty() ? "" : ",") + QByteArray::number(d);
        header += ',' + jsonString(t->name) + ":{\"dtype\":\"" +
                  safetensorsDTypeCode(t->dtype).toLatin1() + "\",\"shape\":[" + shape +
                  "],\"data_offsets\":[" + QByteArray::number(offset) + ',' +
                  QByteArray::number(offset + size) + "]}";
        offset += size;
    }
    header += '}';
    while (header.size() % 8)
        header += ' ';
    if (!writeLength(out, quint64(header.size()), error)) return false;
    if (!writeAll(out, header.constData(), header.size(), QStringLiteral("header"), error))
        return false;
    for (const TensorPtr& t : file.tensors)
        if (!writeTensorBytes(*t, out, error)) return false;
    return true;
}

} // namespace

bool writeSafetensors(const WeightFile& file, QIODevice* out, QString* error) {
    auto* state = dynamic_cast<const SafetensorsState*>(file.state.get());
    if (state && file.formatId == QLatin1String("safetensors")) {
        if (!state->sharded && state->shards.size() == 1)
            return writeSafetensorsFaithful(file, state->shards.front(), out, error);
        auto* target = qobject_cast<QFileDevice*>(out);
        if (target && target->fileName().endsWith(QLatin1String(".json"))) {
            *error = QStringLiteral("%1: saving the shards of a sharded model in place is not "
                                    "supported yet; use Save As to write one .safetensors file")
                         .arg(file.path);
            return false;
        }
    }
    return writeConverted(file, out, error);
}

} // namespace ws
