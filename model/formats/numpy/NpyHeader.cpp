// A small strict parser of the .npy header: the Python literal subset numpy
// writes (dict, str, bool, int, tuple, list), with a depth limit, followed by
// the checks numpy's own reader makes (exactly the three keys, a shape of
// non-negative ints, a supported descr).
#include "NpyHeader.h"
#include "Tensor.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>
#include <utility>

namespace ws {

namespace {

struct Value {
    enum Kind { Str, Bool, None, Int, Tuple, List, Dict } kind = None;
    QString str;
    bool flag = false;
    int64_t num = 0;
    std::vector<Value> items;
    std::vector<std::pair<QString, Value>> members;
};

class LiteralParser {
public:
    explicit LiteralParser(const QByteArray& text) : m_s(text) {}

    bool parseTop(Value* out, QString* problem) {
        if (!value(out, 0)) {
            *problem = m_problem;
            return false;
        }
        skipSpace();
        if (m_i != m_s.size()) {
            *problem = QStringLiteral("unexpected text after the header dict at byte %1").arg(m_i);
            return false;
        }
        return true;
    }

private:
    bool fail(const QString& what) {
        if (m_problem.isEmpty())
            m_problem = QStringLiteral("malformed header dict: %1 at byte %2").arg(what).arg(m_i);
        return false;
    }
    void skipSpace() {
        while (m_i < m_s.size() &&
               (m_s[m_i] == ' ' || m_s[m_i] == '\t' || m_s[m_i] == '\n' || m_s[m_i] == '\r'))
            ++m_i;
    }
    bool peek(char c) {
        skipSpace();
        return m_i < m_s.size() && m_s[m_i] == c;
    }
    bool word(const char* w) {
        const qsizetype n = qsizetype(std::strlen(w));
        if (m_s.mid(m_i, n) != w) return false;
        const qsizetype after = m_i + n;
        if (after < m_s.size() && (std::isalnum(uchar(m_s[after])) || m_s[after] == '_'))
            return false;
        m_i = after;
        return true;
    }

    bool value(Value* v, int depth) {
        if (depth > 16) return fail(QStringLiteral("nesting too deep"));
        skipSpace();
        if (m_i >= m_s.size()) return fail(QStringLiteral("unexpected end"));
        const char c = m_s[m_i];
        if (c == '\'' || c == '"') return string(v);
        if (c == '{') return dict(v, depth);
        if (c == '(' || c == '[') return sequence(v, depth);
        if (c == '-' || c == '+' || std::isdigit(uchar(c))) return integer(v);
        if (word("True") || word("False")) {
            v->kind = Value::Bool;
            v->flag = m_s[m_i - 2] == 'u'; // "Tru|e" vs "Fals|e"
            return true;
        }
        if (word("None")) {
            v->kind = Value::None;
            return true;
        }
        return fail(QStringLiteral("unexpected character '%1'").arg(QChar::fromLatin1(c)));
    }

    bool string(Value* v) {
        const char quote = m_s[m_i++];
        QByteArray raw;
        while (m_i < m_s.size() && m_s[m_i] != quote) {
            char c = m_s[m_i++];
            if (c == '\n') return fail(QStringLiteral("newline in a string"));
            if (c == '\\') {
                if (m_i >= m_s.size()) break;
                c = m_s[m_i++];
                if (c != '\\' && c != '\'' && c != '"')
                    return fail(QStringLiteral("unsupported escape in a string"));
            }
            raw += c;
        }
        if (m_i >= m_s.size()) return fail(QStringLiteral("unterminated string"));
        ++m_i;
        v->kind = Value::Str;
        v->str = QString::fromUtf8(raw);
        return true;
    }

    bool integer(Value* v) {
        bool negative = false;
        if (m_s[m_i] == '-' || m_s[m_i] == '+') negative = m_s[m_i++] == '-';
        if (m_i >= m_s.size() || !std::isdigit(uchar(m_s[m_i])))
            return fail(QStringLiteral("malformed number"));
        int64_t n = 0;
        while (m_i < m_s.size() && std::isdigit(uchar(m_s[m_i]))) {
            if (n > (INT64_MAX - 9) / 10) return fail(QStringLiteral("number too large"));
            n = n * 10 + (m_s[m_i++] - '0');
        }
        if (m_i < m_s.size() && (m_s[m_i] == 'L' || m_s[m_i] == 'l')) ++m_i; // Python 2 long
        if (m_i < m_s.size() && (m_s[m_i] == '.' || m_s[m_i] == 'e' || m_s[m_i] == 'E'))
            return fail(QStringLiteral("a float where an int was expected"));
        v->kind = Value::Int;
        v->num = negative ? -n : n;
        return true;
    }

    bool sequence(Value* v, int depth) {
        const char close = m_s[m_i] == '(' ? ')' : ']';
        v->kind = close == ')' ? Value::Tuple : Value::List;
        ++m_i;
        bool sawComma = false;
        while (!peek(close)) {
            if (v->items.size() > 64) return fail(QStringLiteral("too many items"));
            Value item;
            if (!value(&item, depth + 1)) return false;
            v->items.push_back(std::move(item));
            sawComma = peek(',');
            if (sawComma) {
                ++m_i;
                continue;
            }
            if (!peek(close)) return fail(QStringLiteral("expected ',' or '%1'").arg(close));
        }
        ++m_i;
        // "(3)" is the int 3 in Python, not a tuple
        if (close == ')' && v->items.size() == 1 && !sawComma) {
            Value inner = std::move(v->items[0]);
            *v = std::move(inner);
        }
        return true;
    }

    bool dict(Value* v, int depth) {
        ++m_i;
        v->kind = Value::Dict;
        while (!peek('}')) {
            if (v->members.size() > 64) return fail(QStringLiteral("too many keys"));
            Value key;
            if (!value(&key, depth + 1)) return false;
            if (key.kind != Value::Str) return fail(QStringLiteral("a key that is not a string"));
            if (!peek(':')) return fail(QStringLiteral("expected ':'"));
            ++m_i;
            Value item;
            if (!value(&item, depth + 1)) return false;
            for (const auto& m : v->members)
                if (m.first == key.str)
                    return fail(QStringLiteral("key '%1' appears twice").arg(key.str));
            v->members.emplace_back(key.str, std::move(item));
            if (peek(',')) {
                ++m_i;
                continue;
            }
            if (!peek('}')) return fail(QStringLiteral("expected ',' or '}'"));
        }
        ++m_i;
        return true;
    }

    const QByteArray& m_s;
    qsizetype m_i = 0;
    QString m_problem;
};

quint32 le32(const QByteArray& b, int at) {
    quint32 v = 0;
    for (int k = 3; k >= 0; --k)
        v = (v << 8) | uchar(b[at + k]);
    return v;
}

bool parseDescr(const QString& descr, NpyHeader* out, QString* problem) {
    QString d = descr;
    QChar order = QLatin1Char('|');
    if (!d.isEmpty() && QStringLiteral("<>|=").contains(d[0])) {
        order = d[0];
        d = d.mid(1);
    }
    const QChar kind = d.isEmpty() ? QChar() : d[0];
    bool numeric = false;
    const int size = d.mid(1).toInt(&numeric);
    struct Known {
        char kind;
        int size;
        DType type;
    };
    static const Known known[] = {
        {'f', 2, DType::Float16},  {'f', 4, DType::Float32}, {'f', 8, DType::Float64},
        {'i', 1, DType::Int8},     {'i', 2, DType::Int16},   {'i', 4, DType::Int32},
        {'i', 8, DType::Int64},    {'u', 1, DType::UInt8},   {'u', 2, DType::UInt16},
        {'u', 4, DType::UInt32},   {'u', 8, DType::UInt64},  {'b', 1, DType::Bool},
        {'c', 8, DType::Complex64}};
    for (const Known& k : known) {
        if (numeric && kind == QLatin1Char(k.kind) && size == k.size) {
            out->dtype = k.type;
            out->bigEndian = order == QLatin1Char('>') && size > 1;
            return true;
        }
    }
    QString what = QStringLiteral("dtype");
    if (kind == QLatin1Char('O'))
        what = QStringLiteral("object dtype");
    else if (kind == QLatin1Char('S') || kind == QLatin1Char('U') || kind == QLatin1Char('a'))
        what = QStringLiteral("string dtype");
    else if (kind == QLatin1Char('V'))
        what = QStringLiteral("void (raw record) dtype");
    else if (kind == QLatin1Char('M') || kind == QLatin1Char('m'))
        what = QStringLiteral("datetime dtype");
    *problem = QStringLiteral("unsupported %1 '%2'").arg(what, descr);
    if (kind == QLatin1Char('O'))
        *problem += QStringLiteral(" (pickled Python objects, not loaded)");
    return false;
}

} // namespace

bool hasNpyMagic(const QByteArray& head) {
    return head.startsWith(QByteArray("\x93NUMPY", 6));
}

qint64 npyHeaderSize(const QByteArray& head, QString* problem) {
    if (head.size() < 12 || !hasNpyMagic(head)) {
        *problem = QStringLiteral("not a .npy array (magic \\x93NUMPY missing)");
        return -1;
    }
    const int major = uchar(head[6]);
    if (major < 1 || major > 3) {
        *problem = QStringLiteral("unsupported .npy version %1.%2").arg(major).arg(uchar(head[7]));
        return -1;
    }
    const qint64 len =
        major == 1 ? qint64(uchar(head[8]) | (uchar(head[9]) << 8)) : qint64(le32(head, 8));
    if (len > kNpyMaxHeader) {
        *problem = QStringLiteral("header length %1 is absurd").arg(len);
        return -1;
    }
    return (major == 1 ? 10 : 12) + len;
}

bool parseNpyHeader(const QByteArray& bytes, NpyHeader* out, QString* problem) {
    const qint64 total = npyHeaderSize(bytes, problem);
    if (total < 0) return false;
    if (bytes.size() < total) {
        *problem =
            QStringLiteral("header is truncated (%1 of %2 bytes)").arg(bytes.size()).arg(total);
        return false;
    }
    out->major = uchar(bytes[6]);
    out->minor = uchar(bytes[7]);
    out->dataOffset = total;
    const int start = out->major == 1 ? 10 : 12;
    return parseNpyDict(bytes.mid(start, total - start), out, problem);
}

bool parseNpyDict(const QByteArray& text, NpyHeader* out, QString* problem) {
    Value top;
    LiteralParser parser(text);
    if (!parser.parseTop(&top, problem)) return false;
    if (top.kind != Value::Dict) {
        *problem = QStringLiteral("header is not a dict");
        return false;
    }
    const Value* descr = nullptr;
    const Value* fortran = nullptr;
    const Value* shape = nullptr;
    for (const auto& m : top.members) {
        if (m.first == QLatin1String("descr"))
            descr = &m.second;
        else if (m.first == QLatin1String("fortran_order"))
            fortran = &m.second;
        else if (m.first == QLatin1String("shape"))
            shape = &m.second;
        else {
            *problem = QStringLiteral("header has an unexpected key '%1'").arg(m.first);
            return false;
        }
    }
    if (!descr || !fortran || !shape) {
        *problem = QStringLiteral("header lacks one of 'descr', 'fortran_order', 'shape'");
        return false;
    }
    if (descr->kind == Value::List) {
        *problem = QStringLiteral("structured dtypes (a list descr) are not supported");
        return false;
    }
    if (descr->kind != Value::Str) {
        *problem = QStringLiteral("'descr' is not a string");
        return false;
    }
    if (fortran->kind != Value::Bool) {
        *problem = QStringLiteral("'fortran_order' is not True or False");
        return false;
    }
    if (shape->kind != Value::Tuple) {
        *problem = QStringLiteral("'shape' is not a tuple");
        return false;
    }
    out->descr = descr->str;
    out->fortranOrder = fortran->flag;
    out->shape.clear();
    out->numel = 1;
    bool empty = false;
    for (const Value& d : shape->items) {
        if (d.kind != Value::Int || d.num < 0) {
            *problem = QStringLiteral("'shape' holds something other than a non-negative int");
            return false;
        }
        out->shape.push_back(d.num);
        if (d.num == 0)
            empty = true;
        else if (!empty && out->numel > kMaxElements / d.num) {
            *problem = QStringLiteral("absurd shape (more than 2^40 elements)");
            return false;
        }
        if (!empty) out->numel *= d.num;
    }
    if (empty) out->numel = 0;
    // Last, so that an unsupported dtype (an object array) still leaves the shape.
    return parseDescr(descr->str, out, problem);
}

void swapElementBytes(char* data, int64_t count, DType t) {
    int width = dtypeSize(t);
    if (t == DType::Complex64) {
        width = 4;
        count *= 2;
    }
    if (width <= 1) return;
    for (int64_t i = 0; i < count; ++i)
        std::reverse(data + i * width, data + (i + 1) * width);
}

} // namespace ws
