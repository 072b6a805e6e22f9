// The protobuf wire walk behind readOnnxSkeleton. Field numbers are onnx.proto's:
// ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.attribute
// = 5; AttributeProto.t = 5, g = 6, tensors = 10, graphs = 11; TensorProto.raw_data
// = 9. Everything else is copied byte for byte.
#include "OnnxSkeleton.h"

#include <QFile>
#include <climits>
#include <cstring>

namespace ws {

namespace {

constexpr char kMagic[8] = {'\0', 'W', 'S', 'L', 'A', 'Z', 'Y', '\x01'};
constexpr int kPlaceholderSize = 16;
constexpr int kMaxDepth = 64;

enum class Msg { None, Model, Graph, Node, Attribute, Tensor };

Msg child(Msg parent, quint64 field) {
    switch (parent) {
    case Msg::Model:
        return field == 7 ? Msg::Graph : Msg::None;
    case Msg::Graph:
        return field == 1 ? Msg::Node : field == 5 ? Msg::Tensor : Msg::None;
    case Msg::Node:
        return field == 5 ? Msg::Attribute : Msg::None;
    case Msg::Attribute:
        return field == 5 || field == 10   ? Msg::Tensor
               : field == 6 || field == 11 ? Msg::Graph
                                           : Msg::None;
    default:
        return Msg::None;
    }
}

void putVarint(QByteArray* out, quint64 v) {
    while (v >= 0x80) {
        out->append(char(v | 0x80));
        v >>= 7;
    }
    out->append(char(v));
}

class Walker {
public:
    Walker(const QString& path, std::vector<OnnxLazyRaw>* lazy) : m_file(path), m_lazy(lazy) {}

    bool open(QString* error) {
        if (!m_file.open(QIODevice::ReadOnly)) {
            *error =
                QStringLiteral("%1: cannot open: %2").arg(m_file.fileName(), m_file.errorString());
            return false;
        }
        m_size = m_file.size();
        return true;
    }
    qint64 size() const { return m_size; }

    /// The body of a message of \a type lying in [begin, end), stripped, into \a out.
    bool message(Msg type, qint64 begin, qint64 end, QByteArray* out, int depth) {
        if (depth > kMaxDepth)
            return fail(begin, QStringLiteral("graphs nested more than %1 deep").arg(kMaxDepth));
        qint64 pos = begin;
        while (pos < end) {
            const qint64 tagAt = pos;
            quint64 tag = 0;
            if (!varint(&pos, end, &tag)) return false;
            const quint64 field = tag >> 3;
            const int wire = int(tag & 7);
            if (field == 0) return fail(tagAt, QStringLiteral("field number 0"));
            qint64 next = pos;
            switch (wire) {
            case 0: {
                quint64 ignored = 0;
                if (!varint(&next, end, &ignored)) return false;
                break;
            }
            case 1:
                next = pos + 8;
                break;
            case 5:
                next = pos + 4;
                break;
            case 2: {
                quint64 len = 0;
                if (!varint(&next, end, &len)) return false;
                if (len > quint64(end - next))
                    return fail(
                        tagAt,
                        QStringLiteral("a field of %1 bytes runs past its message").arg(len));
                const qint64 body = next;
                next = body + qint64(len);
                if (type == Msg::Tensor && field == 9 && qint64(len) >= kOnnxLazyFrom) {
                    putVarint(out, tag);
                    putVarint(out, kPlaceholderSize);
                    out->append(kMagic, 8);
                    const quint64 index = m_lazy->size();
                    for (int i = 0; i < 8; ++i)
                        out->append(char((index >> (8 * i)) & 0xff));
                    m_lazy->push_back({body, qint64(len)});
                    pos = next;
                    continue;
                }
                const Msg sub = child(type, field);
                if (sub != Msg::None) {
                    QByteArray inner;
                    if (!message(sub, body, next, &inner, depth + 1)) return false;
                    putVarint(out, tag);
                    putVarint(out, quint64(inner.size()));
                    out->append(inner);
                    pos = next;
                    continue;
                }
                break;
            }
            default:
                return fail(tagAt, QStringLiteral("unsupported protobuf wire type %1").arg(wire));
            }
            if (next > end) return fail(tagAt, QStringLiteral("a field runs past its message"));
            if (!copy(tagAt, next, out)) return false;
            pos = next;
            if (out->size() > INT_MAX - 64)
                return fail(tagAt, QStringLiteral("the model's structure alone exceeds 2 GiB"));
        }
        return true;
    }

    QString error;

private:
    bool fail(qint64 at, const QString& what) {
        error = QStringLiteral("%1: not a valid ONNX model: %2 (at byte %3)")
                    .arg(m_file.fileName(), what)
                    .arg(at);
        return false;
    }

    // Bytes [at, at + n) through a 64 KiB window; larger runs straight from the file.
    bool read(qint64 at, qint64 n, char* dst) {
        if (at < 0 || n < 0 || at > m_size || n > m_size - at)
            return fail(at, QStringLiteral("the file ends early"));
        if (at >= m_bufAt && at + n <= m_bufAt + m_buf.size()) {
            std::memcpy(dst, m_buf.constData() + (at - m_bufAt), size_t(n));
            return true;
        }
        if (n > kWindow / 2) {
            if (!m_file.seek(at) || m_file.read(dst, n) != n)
                return fail(at, QStringLiteral("read failed: %1").arg(m_file.errorString()));
            return true;
        }
        const qint64 want = std::min<qint64>(kWindow, m_size - at);
        m_buf.resize(qsizetype(want));
        if (!m_file.seek(at) || m_file.read(m_buf.data(), want) != want) {
            m_buf.clear();
            return fail(at, QStringLiteral("read failed: %1").arg(m_file.errorString()));
        }
        m_bufAt = at;
        std::memcpy(dst, m_buf.constData(), size_t(n));
        return true;
    }

    bool varint(qint64* pos, qint64 end, quint64* out) {
        quint64 v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (*pos >= end) return fail(*pos, QStringLiteral("a number runs past its message"));
            char c = 0;
            if (!read(*pos, 1, &c)) return false;
            ++*pos;
            v |= quint64(uchar(c) & 0x7f) << shift;
            if (!(uchar(c) & 0x80)) {
                *out = v;
                return true;
            }
        }
        return fail(*pos, QStringLiteral("a number longer than 10 bytes"));
    }

    bool copy(qint64 from, qint64 to, QByteArray* out) {
        const qsizetype at = out->size();
        out->resize(at + qsizetype(to - from));
        return read(from, to - from, out->data() + at);
    }

    static constexpr qint64 kWindow = 64 * 1024;
    QFile m_file;
    qint64 m_size = 0;
    std::vector<OnnxLazyRaw>* m_lazy;
    QByteArray m_buf;
    qint64 m_bufAt = -1;
};

} // namespace

bool readOnnxSkeleton(const QString& path, QByteArray* skeleton, std::vector<OnnxLazyRaw>* lazy,
                      QString* error) {
    skeleton->clear();
    lazy->clear();
    Walker w(path, lazy);
    if (!w.open(error)) return false;
    if (!w.message(Msg::Model, 0, w.size(), skeleton, 0)) {
        *error = w.error;
        return false;
    }
    return true;
}

qint64 onnxLazyIndex(const std::string& raw) {
    if (raw.size() != size_t(kPlaceholderSize) || std::memcmp(raw.data(), kMagic, 8) != 0)
        return -1;
    quint64 index = 0;
    for (int i = 0; i < 8; ++i)
        index |= quint64(uchar(raw[size_t(8 + i)])) << (8 * i);
    return index > quint64(LLONG_MAX) ? -1 : qint64(index);
}

} // namespace ws
