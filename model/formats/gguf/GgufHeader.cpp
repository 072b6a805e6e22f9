// GGUF header parsing. Before anything is allocated, each count is checked against
// the bytes left (a KV pair takes at least 13 bytes, a tensor info 24, an array
// element its size), each string length against the bytes left, each dimension and
// element count against our limits; then every tensor's data range against the
// alignment, the data section and the other tensors. Errors name the field that lied.
#include "GgufHeader.h"
#include "GgmlTypes.h"
#include "Tensor.h"

#include <QSet>
#include <algorithm>
#include <cstring>

namespace ws {

namespace {

constexpr int kMaxName = 64;             // ggml's GGML_MAX_NAME: names are shorter
constexpr int kMaxKey = 65536;           // keys are at most 65535 bytes
constexpr int64_t kKeptString = 1 << 20; // longer string values are kept cut, with "..."

// Sequential reads through a window of the device, bounded by the file's size.
class Cursor {
public:
    Cursor(QIODevice* in, int64_t size) : m_in(in), m_size(size) {}
    int64_t pos() const { return m_pos; }
    int64_t remaining() const { return m_size - m_pos; }

    bool read(void* dst, int64_t n) {
        if (n < 0 || n > remaining()) return false;
        char* out = static_cast<char*>(dst);
        while (n > 0) {
            if (m_pos < m_bufStart || m_pos >= m_bufStart + m_buf.size()) {
                if (!fill()) return false;
            }
            const int64_t at = m_pos - m_bufStart;
            const int64_t k = std::min<int64_t>(n, m_buf.size() - at);
            std::memcpy(out, m_buf.constData() + at, size_t(k));
            out += k;
            m_pos += k;
            n -= k;
        }
        return true;
    }
    bool skip(int64_t n) {
        if (n < 0 || n > remaining()) return false;
        m_pos += n;
        return true;
    }
    template <typename T> bool get(T* v) {
        unsigned char b[sizeof(T)];
        if (!read(b, sizeof(T))) return false;
        uint64_t u = 0;
        for (size_t i = 0; i < sizeof(T); ++i)
            u |= uint64_t(b[i]) << (8 * i);
        std::memcpy(v, &u, sizeof(T)); // little-endian host
        return true;
    }

private:
    bool fill() {
        if (!m_in->seek(m_pos)) return false;
        m_buf.resize(int(std::min<int64_t>(1 << 20, remaining())));
        const qint64 got = m_in->read(m_buf.data(), m_buf.size());
        if (got <= 0) return false;
        m_buf.resize(int(got));
        m_bufStart = m_pos;
        return true;
    }

    QIODevice* m_in;
    int64_t m_size;
    int64_t m_pos = 0;
    QByteArray m_buf;
    int64_t m_bufStart = 0;
};

int elementSize(GgufType t) {
    switch (t) {
    case GgufType::UInt8:
    case GgufType::Int8:
    case GgufType::Bool:
        return 1;
    case GgufType::UInt16:
    case GgufType::Int16:
        return 2;
    case GgufType::UInt32:
    case GgufType::Int32:
    case GgufType::Float32:
        return 4;
    case GgufType::String: // at least its u64 length
    case GgufType::UInt64:
    case GgufType::Int64:
    case GgufType::Float64:
        return 8;
    case GgufType::Array:
        return 12;
    }
    return 1;
}

bool validType(uint32_t t) {
    return t <= 12;
}

class Parser {
public:
    Parser(QIODevice* in, int64_t size, GgufHeader* out, QString* problem)
        : c(in, size), h(out), err(problem) {}

    bool run();

private:
    bool fail(const QString& what) {
        *err = what;
        return false;
    }
    bool truncated(const QString& where) {
        return fail(QStringLiteral("the file ends inside %1 (at byte %2 of %3)")
                        .arg(where)
                        .arg(c.pos())
                        .arg(h->fileSize));
    }
    bool readString(QString* s, const QString& what, int64_t maxLength = -1);
    bool readValue(GgufType type, QVariant* v, bool keep, const QString& key);
    bool readKV(uint64_t index, QSet<QString>* keys);
    bool readTensorInfo(uint64_t index, QSet<QString>* names);
    bool checkAlignment();
    bool placeTensors();

    Cursor c;
    GgufHeader* h;
    QString* err;
};

bool Parser::readString(QString* s, const QString& what, int64_t maxLength) {
    uint64_t n = 0;
    if (!c.get(&n)) return truncated(QStringLiteral("the length of %1").arg(what));
    if (n > uint64_t(c.remaining()))
        return fail(QStringLiteral("%1 has length %2, but only %3 bytes of the file remain")
                        .arg(what)
                        .arg(n)
                        .arg(c.remaining()));
    if (maxLength >= 0 && n >= uint64_t(maxLength))
        return fail(QStringLiteral("%1 is %2 bytes long; GGUF names must be shorter than %3")
                        .arg(what)
                        .arg(n)
                        .arg(maxLength));
    if (!s) return c.skip(int64_t(n)) || truncated(what);
    const int64_t keep = std::min<int64_t>(int64_t(n), kKeptString);
    QByteArray bytes(keep, Qt::Uninitialized);
    if (!c.read(bytes.data(), keep) || !c.skip(int64_t(n) - keep)) return truncated(what);
    *s = QString::fromUtf8(bytes);
    if (keep < int64_t(n)) s->append(QStringLiteral("..."));
    return true;
}

bool Parser::readValue(GgufType type, QVariant* v, bool keep, const QString& key) {
    const QString what = QStringLiteral("the value of '%1'").arg(key);
    const auto got = [&](auto x, auto conv) {
        if (!c.get(&x)) return truncated(what);
        if (keep) *v = conv(x);
        return true;
    };
    switch (type) {
    case GgufType::UInt8:
        return got(uint8_t(0), [](uint8_t x) { return QVariant(qulonglong(x)); });
    case GgufType::Int8:
        return got(int8_t(0), [](int8_t x) { return QVariant(qlonglong(x)); });
    case GgufType::UInt16:
        return got(uint16_t(0), [](uint16_t x) { return QVariant(qulonglong(x)); });
    case GgufType::Int16:
        return got(int16_t(0), [](int16_t x) { return QVariant(qlonglong(x)); });
    case GgufType::UInt32:
        return got(uint32_t(0), [](uint32_t x) { return QVariant(qulonglong(x)); });
    case GgufType::Int32:
        return got(int32_t(0), [](int32_t x) { return QVariant(qlonglong(x)); });
    case GgufType::UInt64:
        return got(uint64_t(0), [](uint64_t x) { return QVariant(qulonglong(x)); });
    case GgufType::Int64:
        return got(int64_t(0), [](int64_t x) { return QVariant(qlonglong(x)); });
    case GgufType::Float32:
        return got(float(0), [](float x) { return QVariant(double(x)); });
    case GgufType::Float64:
        return got(double(0), [](double x) { return QVariant(x); });
    case GgufType::Bool:
        return got(uint8_t(0), [](uint8_t x) { return QVariant(x != 0); });
    case GgufType::String: {
        QString s;
        if (!readString(keep ? &s : nullptr, what)) return false;
        if (keep) *v = s;
        return true;
    }
    case GgufType::Array:
        break;
    }
    return fail(QStringLiteral("key '%1' has invalid value type %2").arg(key).arg(int(type)));
}

bool Parser::readKV(uint64_t index, QSet<QString>* keys) {
    GgufKV kv;
    if (!readString(&kv.key, QStringLiteral("the key of metadata pair %1").arg(index), kMaxKey))
        return false;
    if (kv.key.isEmpty()) return fail(QStringLiteral("metadata key %1 is empty").arg(index));
    if (keys->contains(kv.key))
        return fail(QStringLiteral("metadata key '%1' appears twice").arg(kv.key));
    keys->insert(kv.key);
    uint32_t type = 0;
    if (!c.get(&type)) return truncated(QStringLiteral("the type of '%1'").arg(kv.key));
    if (!validType(type))
        return fail(QStringLiteral("key '%1' has invalid value type %2 (valid: 0 to 12)")
                        .arg(kv.key)
                        .arg(type));
    kv.type = GgufType(type);
    if (kv.type != GgufType::Array) {
        kv.values.resize(1);
        if (!readValue(kv.type, &kv.values[0], true, kv.key)) return false;
    } else {
        uint32_t et = 0;
        if (!c.get(&et) || !c.get(&kv.length))
            return truncated(QStringLiteral("the array header of '%1'").arg(kv.key));
        if (!validType(et))
            return fail(
                QStringLiteral("array '%1' has invalid element type %2").arg(kv.key).arg(et));
        kv.elementType = GgufType(et);
        if (kv.elementType == GgufType::Array)
            return fail(QStringLiteral("key '%1' is an array of arrays, which GGUF readers "
                                       "(ggml) do not accept")
                            .arg(kv.key));
        const int64_t minBytes = elementSize(kv.elementType);
        if (kv.length > uint64_t(c.remaining() / minBytes))
            return fail(QStringLiteral("array '%1' claims %2 elements of %3, more than the %4 "
                                       "bytes left in the file can hold")
                            .arg(kv.key)
                            .arg(kv.length)
                            .arg(ggufTypeName(kv.elementType))
                            .arg(c.remaining()));
        const uint64_t keep = std::min<uint64_t>(kv.length, kGgufKeptElements);
        kv.values.resize(size_t(keep));
        if (kv.elementType != GgufType::String) {
            for (uint64_t i = 0; i < keep; ++i)
                if (!readValue(kv.elementType, &kv.values[size_t(i)], true, kv.key)) return false;
            if (!c.skip(int64_t(kv.length - keep) * minBytes))
                return truncated(QStringLiteral("array '%1'").arg(kv.key));
        } else {
            for (uint64_t i = 0; i < kv.length; ++i)
                if (!readValue(GgufType::String, i < keep ? &kv.values[size_t(i)] : nullptr,
                               i < keep, kv.key))
                    return false;
        }
    }
    h->kv.push_back(std::move(kv));
    return true;
}

bool Parser::readTensorInfo(uint64_t index, QSet<QString>* names) {
    GgufTensorInfo t;
    if (!readString(&t.name, QStringLiteral("the name of tensor %1").arg(index), kMaxName))
        return false;
    if (t.name.isEmpty()) return fail(QStringLiteral("tensor %1 has an empty name").arg(index));
    if (names->contains(t.name))
        return fail(QStringLiteral("two tensors are named '%1'").arg(t.name));
    names->insert(t.name);
    uint32_t nDims = 0;
    if (!c.get(&nDims)) return truncated(QStringLiteral("the info of tensor '%1'").arg(t.name));
    if (nDims > 4)
        return fail(
            QStringLiteral("tensor '%1' has %2 dimensions (at most 4)").arg(t.name).arg(nDims));
    int64_t numel = 1;
    for (uint32_t i = 0; i < nDims; ++i) {
        uint64_t d = 0;
        if (!c.get(&d)) return truncated(QStringLiteral("the shape of tensor '%1'").arg(t.name));
        if (d > uint64_t(kMaxElements))
            return fail(QStringLiteral("tensor '%1' has dimension ne[%2] = %3, more than we "
                                       "accept (2^40)")
                            .arg(t.name)
                            .arg(i)
                            .arg(d));
        t.ne.push_back(int64_t(d));
    }
    for (int64_t d : t.ne) {
        if (d == 0) numel = 0;
        if (numel != 0 && numel > kMaxElements / d) {
            QStringList dims;
            for (int64_t x : t.ne)
                dims << QString::number(x);
            return fail(QStringLiteral("tensor '%1' with ne [%2] has more than 2^40 elements")
                            .arg(t.name, dims.join(QLatin1String(", "))));
        }
        numel *= d;
    }
    if (!c.get(&t.type) || !c.get(&t.offset))
        return truncated(QStringLiteral("the info of tensor '%1'").arg(t.name));
    const ggml::TypeTraits* type = ggml::typeTraits(t.type);
    if (!type) {
        t.problem = QStringLiteral("unsupported GGUF type %1 (not a ggml type this reader knows)")
                        .arg(t.type);
        t.bytes = -1;
    } else {
        const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
        if (ne0 % type->blockElements != 0)
            return fail(QStringLiteral("tensor '%1' of type %2 has %3 elements per row, not a "
                                       "multiple of its block size %4")
                            .arg(t.name, QString::fromLatin1(type->name))
                            .arg(ne0)
                            .arg(type->blockElements));
        t.bytes = numel / type->blockElements * type->blockBytes;
        if (!type->decode && !ggml::plainDType(t.type))
            t.problem =
                QStringLiteral("unsupported GGUF type %1 (%2): %3")
                    .arg(t.type)
                    .arg(QString::fromLatin1(type->name), QString::fromLatin1(type->limitation));
    }
    h->tensors.push_back(std::move(t));
    return true;
}

bool Parser::checkAlignment() {
    const GgufKV* a = h->find(QStringLiteral("general.alignment"));
    if (!a) return true;
    if (a->type != GgufType::UInt32)
        return fail(QStringLiteral("general.alignment is %1; it must be UINT32")
                        .arg(ggufTypeName(a->type)));
    const uint64_t v = a->values[0].toULongLong();
    if (v == 0 || (v & (v - 1)) != 0)
        return fail(QStringLiteral("general.alignment is %1, not a power of two").arg(v));
    h->alignment = uint32_t(v);
    return true;
}

bool Parser::placeTensors() {
    const int64_t align = h->alignment;
    const int64_t infosEnd = c.pos();
    h->dataOffset = (infosEnd + align - 1) / align * align;
    const int64_t dataSize = std::max<int64_t>(0, h->fileSize - h->dataOffset);
    std::vector<size_t> order(h->tensors.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return h->tensors[a].offset < h->tensors[b].offset;
    });
    for (size_t k = 0; k < order.size(); ++k) {
        GgufTensorInfo& t = h->tensors[order[k]];
        if (t.offset % uint64_t(align) != 0)
            return fail(QStringLiteral("tensor '%1' has offset %2, not a multiple of the "
                                       "alignment %3")
                            .arg(t.name)
                            .arg(t.offset)
                            .arg(align));
        if (t.offset > uint64_t(dataSize))
            return fail(QStringLiteral("tensor '%1' has offset %2, past the end of the data "
                                       "section (%3 bytes from file offset %4)")
                            .arg(t.name)
                            .arg(t.offset)
                            .arg(dataSize)
                            .arg(h->dataOffset));
        if (t.bytes < 0) { // unknown type: up to the next tensor, or the end of the file
            uint64_t next = uint64_t(dataSize);
            for (size_t j = k + 1; j < order.size(); ++j)
                if (h->tensors[order[j]].offset > t.offset) {
                    next = h->tensors[order[j]].offset;
                    break;
                }
            t.bytes = int64_t(next - t.offset);
        }
        if (t.bytes > dataSize - int64_t(t.offset))
            return fail(QStringLiteral("tensor '%1' needs %2 bytes at offset %3 of the data "
                                       "section, which has only %4 bytes")
                            .arg(t.name)
                            .arg(t.bytes)
                            .arg(t.offset)
                            .arg(dataSize));
    }
    // No overlaps: each tensor with data ends before the next one starts.
    const GgufTensorInfo* prev = nullptr;
    for (size_t i : order) {
        const GgufTensorInfo& t = h->tensors[i];
        if (t.bytes == 0) continue;
        if (prev && int64_t(prev->offset) + prev->bytes > int64_t(t.offset))
            return fail(QStringLiteral("tensor '%1' (data bytes %2 to %3) overlaps tensor '%4' "
                                       "at %5")
                            .arg(prev->name)
                            .arg(prev->offset)
                            .arg(int64_t(prev->offset) + prev->bytes)
                            .arg(t.name)
                            .arg(t.offset));
        prev = &t;
    }
    return true;
}

bool Parser::run() {
    h->fileSize = c.remaining();
    char magic[4];
    if (!c.read(magic, 4)) return truncated(QStringLiteral("the magic bytes"));
    if (std::memcmp(magic, "FUGG", 4) == 0)
        return fail(QStringLiteral("big-endian GGUF files (magic 'FUGG') are not supported; "
                                   "convert the file to little-endian"));
    if (std::memcmp(magic, "GGUF", 4) != 0)
        return fail(QStringLiteral("not a GGUF file (no 'GGUF' magic)"));
    if (!c.get(&h->version)) return truncated(QStringLiteral("the version"));
    if (h->version != 0 && (h->version & 0xFFFF) == 0)
        return fail(QStringLiteral("version field reads %1: a big-endian GGUF file, which is "
                                   "not supported; convert the file to little-endian")
                        .arg(h->version));
    if (h->version == 1)
        return fail(QStringLiteral("GGUF version 1 is no longer supported (ggml reads only "
                                   "versions 2 and 3); convert it with a current llama.cpp"));
    if (h->version != 2 && h->version != 3)
        return fail(
            QStringLiteral("GGUF version %1 is not supported (only 2 and 3)").arg(h->version));
    uint64_t tensorCount = 0, kvCount = 0;
    if (!c.get(&tensorCount) || !c.get(&kvCount)) return truncated(QStringLiteral("the header"));
    // A tensor info takes at least 24 bytes, a metadata pair at least 13.
    if (tensorCount > uint64_t(c.remaining() / 24))
        return fail(QStringLiteral("tensor_count is %1, more than the %2 bytes left in the "
                                   "file can describe")
                        .arg(tensorCount)
                        .arg(c.remaining()));
    if (kvCount > uint64_t(c.remaining() / 13))
        return fail(QStringLiteral("kv_count is %1, more than the %2 bytes left in the file "
                                   "can hold")
                        .arg(kvCount)
                        .arg(c.remaining()));
    QSet<QString> keys, names;
    for (uint64_t i = 0; i < kvCount; ++i)
        if (!readKV(i, &keys)) return false;
    if (!checkAlignment()) return false;
    for (uint64_t i = 0; i < tensorCount; ++i)
        if (!readTensorInfo(i, &names)) return false;
    return placeTensors();
}

} // namespace

QString ggufTypeName(GgufType t) {
    static const char* const names[] = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                        "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                        "UINT64", "INT64",   "FLOAT64"};
    const uint32_t i = uint32_t(t);
    return i <= 12 ? QString::fromLatin1(names[i]) : QStringLiteral("type %1").arg(i);
}

const GgufKV* GgufHeader::find(const QString& key) const {
    for (const GgufKV& kv : kv)
        if (kv.key == key) return &kv;
    return nullptr;
}

bool parseGgufHeader(QIODevice* in, int64_t size, GgufHeader* out, QString* problem) {
    *out = GgufHeader();
    Parser p(in, size, out, problem);
    return p.run();
}

} // namespace ws
