// Parsing and validation of one safetensors header with the reference
// reader's rules; nothing of the data section is read.
#include "JsonMemberScan.h"
#include "SafetensorsState.h"
#include "Tensor.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>
#include <algorithm>
#include <cstring>

namespace ws {

namespace {

struct CodeInfo {
    const char* code;
    DType type;
};

constexpr CodeInfo kCodes[] = {
    {"BOOL", DType::Bool},          {"U8", DType::UInt8},      {"I8", DType::Int8},
    {"I16", DType::Int16},          {"U16", DType::UInt16},    {"F16", DType::Float16},
    {"BF16", DType::BFloat16},      {"I32", DType::Int32},     {"U32", DType::UInt32},
    {"F32", DType::Float32},        {"F64", DType::Float64},   {"I64", DType::Int64},
    {"U64", DType::UInt64},         {"C64", DType::Complex64}, {"F8_E5M2", DType::Float8E5M2},
    {"F8_E4M3", DType::Float8E4M3},
};

// A JSON number that is a non-negative integer of at most 2^53 (exact in a double).
bool toCount(const QJsonValue& v, qint64* out) {
    if (!v.isDouble()) return false;
    const double d = v.toDouble();
    if (!(d >= 0) || d > 9007199254740992.0 || d != double(qint64(d))) return false;
    *out = qint64(d);
    return true;
}

bool parseEntry(const QString& name, const QJsonValue& value, qint64 dataSize, bool lenient,
                SafetensorsEntry* e, QString* problem) {
    e->name = name;
    if (!value.isObject()) {
        *problem = QStringLiteral("tensor '%1': entry is not a JSON object").arg(name);
        return false;
    }
    const QJsonObject o = value.toObject();
    const QJsonValue dtype = o.value(QLatin1String("dtype"));
    if (!dtype.isString()) {
        *problem = QStringLiteral("tensor '%1': missing or non-string dtype").arg(name);
        return false;
    }
    e->dtypeCode = dtype.toString();
    const auto t = dtypeFromSafetensorsCode(e->dtypeCode);
    if (!t) {
        *problem = QStringLiteral("tensor '%1': unknown dtype '%2'").arg(name, e->dtypeCode);
        return false;
    }
    e->dtype = *t;
    const QJsonValue shape = o.value(QLatin1String("shape"));
    if (!shape.isArray()) {
        *problem = QStringLiteral("tensor '%1': missing or non-array shape").arg(name);
        return false;
    }
    const QJsonArray dims = shape.toArray();
    if (dims.size() > 64) {
        *problem = QStringLiteral("tensor '%1': %2 dimensions").arg(name).arg(dims.size());
        return false;
    }
    int64_t numel = 1;
    e->shape.clear();
    for (const QJsonValue& d : dims) {
        qint64 n = 0;
        if (!toCount(d, &n)) {
            *problem = QStringLiteral("tensor '%1': shape holds something that is not a "
                                      "non-negative integer")
                           .arg(name);
            return false;
        }
        e->shape.push_back(n);
    }
    for (int64_t n : e->shape) {
        if (n != 0 && numel > kMaxElements / n) {
            numel = -1;
            break;
        }
        numel *= n;
    }
    if (numel < 0 || numel > kMaxElements) {
        Tensor shown;
        shown.shape = e->shape;
        *problem = QStringLiteral("tensor '%1': absurd shape %2").arg(name, shown.shapeString());
        return false;
    }
    const QJsonValue offsets = o.value(QLatin1String("data_offsets"));
    const QJsonArray pair = offsets.toArray();
    if (!offsets.isArray() || pair.size() != 2 || !toCount(pair.at(0), &e->begin) ||
        !toCount(pair.at(1), &e->end)) {
        *problem =
            QStringLiteral("tensor '%1': data_offsets must be two non-negative integers").arg(name);
        return false;
    }
    if (lenient && e->begin <= e->end && e->end > dataSize) {
        e->problem = e->begin < dataSize
                         ? QStringLiteral("truncated: data_offsets [%1, %2] run past the end of "
                                          "the data section (%3 bytes): the file was cut short")
                               .arg(e->begin)
                               .arg(e->end)
                               .arg(dataSize)
                         : QStringLiteral("out of range: data_offsets [%1, %2] lie past the end "
                                          "of the data section (%3 bytes)")
                               .arg(e->begin)
                               .arg(e->end)
                               .arg(dataSize);
    } else if (e->begin > e->end || e->end > dataSize) {
        *problem = QStringLiteral("tensor '%1': data_offsets [%2, %3] lie outside the data "
                                  "section of %4 bytes")
                       .arg(name)
                       .arg(e->begin)
                       .arg(e->end)
                       .arg(dataSize);
        return false;
    }
    const qint64 expected = numel * dtypeSize(e->dtype);
    if (e->end - e->begin != expected) {
        *problem = QStringLiteral("tensor '%1': data_offsets [%2, %3] span %4 bytes but shape "
                                  "and dtype %5 need %6")
                       .arg(name)
                       .arg(e->begin)
                       .arg(e->end)
                       .arg(e->end - e->begin)
                       .arg(e->dtypeCode)
                       .arg(expected);
        return false;
    }
    return true;
}

bool parseMetadata(const QJsonValue& value, SafetensorsHeader* out, QString* problem) {
    if (!value.isObject()) {
        *problem = QStringLiteral("__metadata__ is not a JSON object");
        return false;
    }
    const QJsonObject o = value.toObject();
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!it.value().isString()) {
            *problem = QStringLiteral("__metadata__ value of '%1' is not a string").arg(it.key());
            return false;
        }
    }
    out->hasMetadata = true;
    return true;
}

// Tensors sorted by offset must tile the data section exactly. \a lenient checks
// only that the readable ones do not overlap (damaged ones may have left holes).
bool checkLayout(const SafetensorsHeader& h, qint64 dataSize, bool lenient, QString* problem) {
    std::vector<const SafetensorsEntry*> sorted;
    sorted.reserve(h.entries.size());
    for (const auto& e : h.entries)
        if (e.problem.isEmpty()) sorted.push_back(&e);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    qint64 pos = 0;
    for (const auto* e : sorted) {
        if (lenient ? e->begin < pos : e->begin != pos) {
            *problem =
                QStringLiteral("tensor '%1' starts at data offset %2 but the previous "
                               "tensor ends at %3 (%4)")
                    .arg(e->name)
                    .arg(e->begin)
                    .arg(pos)
                    .arg(e->begin > pos ? QStringLiteral("hole") : QStringLiteral("overlap"));
            return false;
        }
        pos = e->end;
    }
    if (!lenient && pos != dataSize) {
        *problem = QStringLiteral("tensors end at data offset %1 but the data section holds "
                                  "%2 bytes")
                       .arg(pos)
                       .arg(dataSize);
        return false;
    }
    return true;
}

} // namespace

QString safetensorsDTypeCode(DType t) {
    for (const auto& c : kCodes)
        if (c.type == t) return QString::fromLatin1(c.code);
    return QString();
}

std::optional<DType> dtypeFromSafetensorsCode(const QString& code) {
    for (const auto& c : kCodes)
        if (code == QLatin1String(c.code)) return c.type;
    return std::nullopt;
}

bool parseSafetensorsHeader(const QByteArray& headerBytes, qint64 fileSize, SafetensorsHeader* out,
                            QString* problem, bool lenient) {
    const qint64 n = headerBytes.size();
    out->headerLength = n;
    out->json = headerBytes;
    out->entries.clear();
    out->metadata.clear();
    out->hasMetadata = false;
    const qint64 dataSize = fileSize - 8 - n;
    if (dataSize < 0) {
        *problem = QStringLiteral("header of %1 bytes does not fit in the file").arg(n);
        return false;
    }
    if (n == 0 || headerBytes.at(0) != '{') {
        *problem = QStringLiteral("header does not start with '{'");
        return false;
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = utf8.decode(headerBytes);
    Q_UNUSED(decoded);
    if (utf8.hasError()) {
        *problem = QStringLiteral("header is not valid UTF-8");
        return false;
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(headerBytes, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject()) {
        *problem = err.error != QJsonParseError::NoError
                       ? QStringLiteral("header is not valid JSON (%1 at byte %2)")
                             .arg(err.errorString())
                             .arg(err.offset)
                       : QStringLiteral("header is not a JSON object");
        return false;
    }
    const QJsonObject root = doc.object();
    std::vector<JsonMemberSpan> members;
    if (!scanJsonObjectMembers(headerBytes, 0, headerBytes.size(), &members)) {
        *problem = QStringLiteral("header JSON could not be scanned");
        return false;
    }
    if (qsizetype(members.size()) != root.size()) {
        *problem = QStringLiteral("header names some tensor more than once");
        return false;
    }
    out->entries.reserve(members.size());
    for (const JsonMemberSpan& m : members) {
        const QJsonValue value = root.value(m.key);
        if (m.key == QLatin1String("__metadata__")) {
            if (!parseMetadata(value, out, problem)) return false;
            std::vector<JsonMemberSpan> metaMembers;
            if (!scanJsonObjectMembers(headerBytes, m.valueBegin, m.valueEnd, &metaMembers)) {
                *problem = QStringLiteral("__metadata__ could not be scanned");
                return false;
            }
            const QJsonObject meta = value.toObject();
            for (const JsonMemberSpan& k : metaMembers)
                out->metadata.emplace_back(k.key, meta.value(k.key).toString());
            continue;
        }
        SafetensorsEntry e;
        if (!parseEntry(m.key, value, dataSize, lenient, &e, problem)) return false;
        out->entries.push_back(std::move(e));
    }
    return checkLayout(*out, dataSize, lenient, problem);
}

bool readSafetensorsHeader(const QString& path, SafetensorsHeader* out, QString* error) {
    out->path = path;
    auto fail = [&](const QString& problem) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return false;
    };
    QString openError;
    const ByteSourcePtr source = openByteSource(path, &openError);
    if (!source) {
        *error = openError;
        return false;
    }
    out->source = source;
    const qint64 size = source->size();
    if (size < 8)
        return fail(QStringLiteral("too short for a safetensors file (%1 bytes)").arg(size));
    unsigned char prefix[8];
    QString readError;
    if (!source->read(0, 8, reinterpret_cast<char*>(prefix), &readError)) {
        *error = readError;
        return false;
    }
    quint64 n = 0;
    for (int i = 7; i >= 0; --i)
        n = (n << 8) | prefix[i];
    if (n > quint64(kSafetensorsMaxHeader))
        return fail(QStringLiteral("header length %1 exceeds the limit of %2 bytes")
                        .arg(n)
                        .arg(kSafetensorsMaxHeader));
    if (qint64(n) > size - 8)
        return fail(QStringLiteral("header length %1 is larger than the %2 bytes that follow")
                        .arg(n)
                        .arg(size - 8));
    QByteArray header(qsizetype(n), Qt::Uninitialized); // n is at most what the file holds
    if (!source->read(8, qint64(n), header.data(), &readError)) {
        *error = readError;
        return false;
    }
    QString problem;
    if (parseSafetensorsHeader(header, size, out, &problem)) return true;
    // Damaged (a tensor's bytes past the end of the file): the reference reader rejects
    // the file; open what lies inside it, read-only, with the others as problems.
    SafetensorsHeader damaged;
    damaged.path = path;
    damaged.source = source;
    QString ignored;
    if (!parseSafetensorsHeader(header, size, &damaged, &ignored, true) ||
        std::none_of(damaged.entries.begin(), damaged.entries.end(),
                     [](const SafetensorsEntry& e) { return !e.problem.isEmpty(); }))
        return fail(problem);
    *out = std::move(damaged);
    out->damage = problem;
    return true;
}

} // namespace ws
