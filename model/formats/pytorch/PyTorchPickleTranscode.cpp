// Turns a legacy (pre-1.6) object pickle, of any protocol from 2 to 5, into the
// data.pkl of the zip format that torch.load reads with weights_only both False and
// True. Two things differ between them: the legacy persistent ids are 6-tuples
// ending in a view-metadata None (the zip format's are 5-tuples), and protocols 4
// and 5 use opcodes that torch's restricted unpickler (1.13) does not know: FRAME,
// SHORT_BINUNICODE, BINUNICODE8, STACK_GLOBAL and MEMOIZE. Python has no tool that
// rewrites a pickle without running it, so this is our own: it walks the opcodes
// once, tracking for each stack slot where its bytes start in the output and
// whether it is a string constant, and writes
//   - no FRAMEs (they are optional), PROTO 2 when nothing newer remains;
//   - every string as BINUNICODE, never memoized: a GET of a memoized string writes
//     the string again (strings are immutable, so nothing can tell);
//   - STACK_GLOBAL on two string slots as GLOBAL: the slots are the last bytes
//     written, so they are cut off and replaced;
//   - MEMOIZE as BINPUT with the index MEMOIZE would have used;
//   - the view-metadata None of each persistent id dropped.
// Everything else is copied byte for byte.
#include "PyTorchWriter.h"

#include <QtEndian>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace ws {

namespace {

// Length of the argument bytes of the opcode at \a p (protocols 0-5), or -1
// when unknown or running past \a end. Text arguments end at a newline.
qint64 argLength(const char* p, const char* end) {
    const auto u8 = [&](qint64 at) -> qint64 { return p + at < end ? uchar(p[at]) : -1; };
    const auto u32 = [&](qint64 at) -> qint64 {
        if (p + at + 4 > end) return -1;
        return qint64(qFromLittleEndian<quint32>(p + at));
    };
    const auto line = [&](qint64 from) -> qint64 {
        const char* nl = static_cast<const char*>(std::memchr(p + from, '\n', end - p - from));
        return nl ? nl - p : -1;
    };
    switch (uchar(p[0])) {
    case '(':
    case ')':
    case '.':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'Q':
    case 'R':
    case ']':
    case 'a':
    case 'b':
    case 'd':
    case 'e':
    case 'l':
    case 's':
    case 't':
    case 'u':
    case '}':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x97:
    case 0x98:
        return 0;
    case 0x80:
    case 'K':
    case 'h':
    case 'q':
    case 0x82:
        return 1;
    case 'M':
    case 0x83:
        return 2;
    case 'J':
    case 'j':
    case 'r':
    case 0x84:
        return 4;
    case 'G':
        return 8;
    case 0x95: // FRAME
        return 8;
    case 0x8a: { // LONG1
        qint64 n = u8(1);
        return n < 0 ? -1 : 1 + n;
    }
    case 'U':
    case 'C':
    case 0x8c: { // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
        qint64 n = u8(1);
        return n < 0 ? -1 : 1 + n;
    }
    case 'T':
    case 'X':
    case 'B':
    case 0x8b: { // BINSTRING, BINUNICODE, BINBYTES, LONG4
        qint64 n = u32(1);
        return n < 0 ? -1 : 4 + n;
    }
    case 0x8d:
    case 0x8e:
    case 0x96: { // BINUNICODE8, BINBYTES8, BYTEARRAY8
        if (p + 9 > end) return -1;
        qint64 n = qint64(qFromLittleEndian<quint64>(p + 1));
        return n < 0 ? -1 : 8 + n;
    }
    case 'c': { // GLOBAL: two lines
        qint64 a = line(1);
        if (a < 0) return -1;
        qint64 b = line(a + 1);
        return b < 0 ? -1 : b;
    }
    case 'I':
    case 'L':
    case 'F':
    case 'S':
    case 'V':
    case 'g':
    case 'p':
    case 'P':
    case 'i': {
        if (uchar(p[0]) == 'i') { // INST: two lines
            qint64 a = line(1);
            if (a < 0) return -1;
            qint64 b = line(a + 1);
            return b < 0 ? -1 : b;
        }
        qint64 a = line(1);
        return a < 0 ? -1 : a;
    }
    default:
        return -1;
    }
}

/// One value on the (simulated) stack: where its bytes start in the output.
struct Slot {
    enum Kind { Other, String, None, PidTuple, PidView } kind = Other;
    qint64 start = 0;
    QByteArray text;     ///< String: the UTF-8 text
    qint64 nonePos = -1; ///< PidTuple: where its trailing None is in the output
};

struct Memo {
    bool isString = false;
    QByteArray text;
};

class Transcoder {
public:
    explicit Transcoder(const QByteArray& in) : m_in(in) {}
    bool run(QByteArray* out, QString* error);

private:
    bool fail(const QString& what) {
        if (m_error.isEmpty()) m_error = QStringLiteral("at byte %1: %2").arg(m_at).arg(what);
        return false;
    }
    bool popSlots(size_t n, qint64* start) {
        if (m_stack.size() < n + floor()) return fail(QStringLiteral("stack underflow"));
        *start = n ? m_stack[m_stack.size() - n].start : qint64(m_out.size());
        m_stack.resize(m_stack.size() - n);
        return true;
    }
    bool popMark(std::vector<Slot>* items, qint64* start) {
        if (m_marks.empty()) return fail(QStringLiteral("no MARK on the stack"));
        const auto [depth, pos] = m_marks.back();
        m_marks.pop_back();
        if (items) items->assign(m_stack.begin() + long(depth), m_stack.end());
        m_stack.resize(depth);
        *start = pos;
        return true;
    }
    size_t floor() const { return m_marks.empty() ? 0 : m_marks.back().first; }
    void pushOther(qint64 start) {
        Slot s;
        s.start = start;
        m_stack.push_back(s);
    }
    bool topModified() {
        if (m_stack.size() <= floor()) return fail(QStringLiteral("stack underflow"));
        m_stack.back().kind = Slot::Other;
        return true;
    }
    void putString(const QByteArray& text) {
        Slot s;
        s.kind = Slot::String;
        s.start = m_out.size();
        s.text = text;
        m_stack.push_back(s);
        char len[4];
        qToLittleEndian<quint32>(quint32(text.size()), len);
        m_out.append('X');
        m_out.append(len, 4);
        m_out.append(text);
    }
    bool memoPut(quint64 index);
    bool memoGet(quint64 index);
    bool step(uchar op, const char* arg, qint64 n);

    const QByteArray& m_in;
    QByteArray m_out;
    std::vector<Slot> m_stack;
    std::vector<std::pair<size_t, qint64>> m_marks; ///< stack depth and output position
    std::unordered_map<quint64, Memo> m_memo;
    qint64 m_at = 0;
    int m_protocol = 2; ///< newest protocol of an opcode kept as it was
    /// Output positions of the Nones to drop, increasing; only bytes after them are
    /// ever cut off, so they are dropped at the end in one pass.
    std::vector<qint64> m_drop;
    QString m_error;
};

bool Transcoder::memoPut(quint64 index) {
    if (m_stack.size() <= floor()) return fail(QStringLiteral("memoizing an empty stack"));
    Memo& m = m_memo[index];
    const Slot& top = m_stack.back();
    m.isString = top.kind == Slot::String;
    m.text = top.text;
    if (m.isString) return true; // strings are written again wherever they are fetched
    if (index < 256) {
        m_out.append('q');
        m_out.append(char(index));
    } else {
        char b[4];
        qToLittleEndian<quint32>(quint32(index), b);
        m_out.append('r');
        m_out.append(b, 4);
    }
    return true;
}

bool Transcoder::memoGet(quint64 index) {
    const auto it = m_memo.find(index);
    if (it == m_memo.end())
        return fail(QStringLiteral("memo index %1 was never stored").arg(index));
    if (it->second.isString) {
        putString(it->second.text);
        return true;
    }
    pushOther(m_out.size());
    if (index < 256) {
        m_out.append('h');
        m_out.append(char(index));
    } else {
        char b[4];
        qToLittleEndian<quint32>(quint32(index), b);
        m_out.append('j');
        m_out.append(b, 4);
    }
    return true;
}

bool Transcoder::step(uchar op, const char* arg, qint64 n) {
    const qint64 here = m_out.size();
    const auto copy = [&] {
        m_out.append(char(op));
        m_out.append(arg, int(n));
    };
    qint64 start = 0;
    std::vector<Slot> items;
    switch (op) {
    case 0x80: // PROTO: the number is patched at the end
        m_out.append("\x80\x02", 2);
        return true;
    case 0x95: // FRAME: dropped
        return true;
    case '(':
        m_marks.emplace_back(m_stack.size(), here);
        m_out.append('(');
        return true;
    case 'X':
        putString(QByteArray(arg + 4, int(n - 4)));
        return true;
    case 0x8c:
        putString(QByteArray(arg + 1, int(n - 1)));
        return true;
    case 0x8d:
        putString(QByteArray(arg + 8, int(n - 8)));
        return true;
    case 'N': {
        Slot s;
        s.kind = Slot::None;
        s.start = here;
        m_stack.push_back(s);
        m_out.append('N');
        return true;
    }
    case 'q':
        return memoPut(uchar(arg[0]));
    case 'r':
        return memoPut(qFromLittleEndian<quint32>(arg));
    case 0x94:
        return memoPut(m_memo.size());
    case 'p':
    case 'g': {
        bool ok = false;
        const quint64 index = QByteArray(arg, int(n - 1)).toULongLong(&ok);
        if (!ok) return fail(QStringLiteral("bad memo index text"));
        return op == 'p' ? memoPut(index) : memoGet(index);
    }
    case 'h':
        return memoGet(uchar(arg[0]));
    case 'j':
        return memoGet(qFromLittleEndian<quint32>(arg));
    case 0x93: { // STACK_GLOBAL: the two strings are the last bytes written
        if (m_stack.size() < 2 + floor()) return fail(QStringLiteral("stack underflow"));
        const Slot& module = m_stack[m_stack.size() - 2];
        const Slot& name = m_stack.back();
        if (module.kind != Slot::String || name.kind != Slot::String ||
            module.text.contains('\n') || name.text.contains('\n'))
            return fail(QStringLiteral("STACK_GLOBAL without two plain strings"));
        const QByteArray global = 'c' + module.text + '\n' + name.text + '\n';
        start = module.start;
        m_stack.resize(m_stack.size() - 2);
        m_out.truncate(start);
        m_out.append(global);
        pushOther(start);
        return true;
    }
    case 't': { // TUPLE: a ('storage', ..., None) 6-tuple may become a persistent id
        if (!popMark(&items, &start)) return false;
        Slot s;
        s.start = start;
        if (items.size() == 6 && items[0].kind == Slot::String && items[0].text == "storage") {
            s.kind = items[5].kind == Slot::None ? Slot::PidTuple : Slot::PidView;
            s.nonePos = items[5].start;
        }
        m_stack.push_back(s);
        m_out.append('t');
        return true;
    }
    case 'Q': { // BINPERSID
        if (m_stack.size() <= floor()) return fail(QStringLiteral("stack underflow"));
        Slot& pid = m_stack.back();
        if (pid.kind == Slot::PidView)
            return fail(QStringLiteral("persistent id with view metadata; such storage views are "
                                       "not supported"));
        if (pid.kind == Slot::PidTuple) m_drop.push_back(pid.nonePos);
        pid.kind = Slot::Other;
        m_out.append('Q');
        return true;
    }
    case '.':
        m_out.append('.');
        return true;
    case '0':
        if (!popSlots(1, &start)) return false;
        copy();
        return true;
    case '1':
        if (!popMark(nullptr, &start)) return false;
        copy();
        return true;
    case '2': // DUP: a copy that owns no bytes
        if (m_stack.size() <= floor()) return fail(QStringLiteral("stack underflow"));
        pushOther(here);
        copy();
        return true;
    case 0x85:
    case 0x86:
    case 0x87:
    case 'R':
    case 0x81:
    case 0x92: { // pop k, push 1
        const size_t k = op == 'R' || op == 0x81 ? 2 : op == 0x92 ? 3 : size_t(op - 0x84);
        if (!popSlots(k, &start)) return false;
        pushOther(start);
        copy();
        return true;
    }
    case 'l':
    case 'd':
    case 0x91:
    case 'i':
    case 'o': // pop to the mark, push 1
        if (!popMark(nullptr, &start)) return false;
        pushOther(start);
        copy();
        return true;
    case 'a':
    case 'b': // pop 1, the value below changes
        if (!popSlots(1, &start) || !topModified()) return false;
        copy();
        return true;
    case 's':
        if (!popSlots(2, &start) || !topModified()) return false;
        copy();
        return true;
    case 'e':
    case 'u':
    case 0x90:
        if (!popMark(nullptr, &start) || !topModified()) return false;
        copy();
        return true;
    case 0x98: // READONLY_BUFFER
        m_protocol = 5;
        copy();
        return true;
    default: // everything else pushes one value
        if (op == 'B' || op == 'C') m_protocol = std::max(m_protocol, 3);
        if (op >= 0x8e) m_protocol = std::max(m_protocol, op >= 0x96 ? 5 : 4);
        pushOther(here);
        copy();
        return true;
    }
}

bool Transcoder::run(QByteArray* out, QString* error) {
    const char* begin = m_in.constData();
    const char* end = begin + m_in.size();
    m_out.reserve(m_in.size());
    bool stopped = false;
    for (const char* p = begin; p < end && !stopped;) {
        m_at = p - begin;
        const qint64 n = argLength(p, end);
        if (n < 0 || p + 1 + n > end) {
            *error = QStringLiteral("unknown or truncated pickle opcode at byte %1").arg(m_at);
            return false;
        }
        const uchar op = uchar(*p);
        if (!step(op, p + 1, n)) {
            *error = m_error;
            return false;
        }
        stopped = op == '.';
        p += 1 + n;
    }
    if (!stopped) {
        *error = QStringLiteral("the pickle has no STOP");
        return false;
    }
    if (m_out.size() >= 2 && uchar(m_out[0]) == 0x80) m_out[1] = char(m_protocol);
    out->reserve(m_out.size());
    qint64 from = 0;
    for (qint64 at : m_drop) {
        out->append(m_out.constData() + from, int(at - from));
        from = at + 1;
    }
    out->append(m_out.constData() + from, int(m_out.size() - from));
    return true;
}

} // namespace

bool legacyPickleToZip(const QByteArray& legacy, QByteArray* out, QString* error) {
    out->clear();
    return Transcoder(legacy).run(out, error);
}

} // namespace ws
