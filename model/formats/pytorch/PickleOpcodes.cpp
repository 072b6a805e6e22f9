// The pickle opcodes of protocols 0-5, one handler per family (stack and memo,
// containers, numbers, strings and bytes, globals and calls, framing), chosen by
// a table indexed by opcode. Names only, never calls.
#include "PickleMachine.h"

#include <array>

namespace ws {
namespace detail {

// Which family handles each opcode; unknownOp for the bytes that are no opcode.
std::array<PickleMachine::Handler, 256> PickleMachine::handlerTable() {
    std::array<Handler, 256> t;
    t.fill(&PickleMachine::unknownOp);
    const auto set = [&t](const char* ops, Handler h) {
        for (const char* p = ops; *p; ++p)
            t[size_t(uchar(*p))] = h;
    };
    set("(012pqrgh\x94j", &PickleMachine::stackOp);
    set(")]}\x8f\x85\x86\x87tl\x91"
        "dae\x90su",
        &PickleMachine::containerOp);
    set("N\x88\x89JKM\x8a\x8bILFG", &PickleMachine::numberOp);
    set("X\x8c\x8dTUBC\x8e\x96SV", &PickleMachine::stringOp);
    set("c\x93R\x81\x92iobQP", &PickleMachine::objectOp);
    set(".\x80\x95\x98\x82\x83\x84\x97", &PickleMachine::framingOp);
    return t;
}

bool PickleMachine::step(int op) {
    static const std::array<Handler, 256> table = handlerTable();
    return (this->*table[size_t(op)])(op);
}

bool PickleMachine::unknownOp(int op) {
    return fail(QStringLiteral("unknown opcode 0x%1").arg(op, 2, 16, QLatin1Char('0')));
}

// MARK, POP, POP_MARK, DUP and the memo: PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET,
// BINGET, LONG_BINGET.
bool PickleMachine::stackOp(int op) {
    PickleValue* a = nullptr;
    std::vector<PickleValue*> items;
    uint64_t n = 0;
    QByteArray line;
    switch (op) {
    case '(': // MARK
        if (m_marks.size() >= PickleDocument::kMaxMarks)
            return fail(QStringLiteral("nesting deeper than %1").arg(PickleDocument::kMaxMarks));
        m_marks.push_back(m_stack.size());
        return true;
    case '0':
        return pop(&a); // POP
    case '1':
        return popMark(&items); // POP_MARK
    case '2':
        if (!top(&a)) return false; // DUP
        a->pinned = true;
        return push(a);
    case 'p': { // PUT
        if (!readLine(&line)) return false;
        bool ok = false;
        n = line.toULongLong(&ok);
        if (!ok) return fail(QStringLiteral("bad PUT index"));
        return memoPut(n);
    }
    case 'q':
        return readU(1, &n) && memoPut(n); // BINPUT
    case 'r':
        return readU(4, &n) && memoPut(n); // LONG_BINPUT
    case 0x94:
        return memoPut(m_memo.size()); // MEMOIZE
    case 'g': {                        // GET
        if (!readLine(&line)) return false;
        bool ok = false;
        n = line.toULongLong(&ok);
        if (!ok) return fail(QStringLiteral("bad GET index"));
        return memoGet(n);
    }
    case 'h':
        return readU(1, &n) && memoGet(n); // BINGET
    default:
        return readU(4, &n) && memoGet(n); // LONG_BINGET
    }
}

// Tuples, lists, dicts and sets: building them and adding to them.
bool PickleMachine::containerOp(int op) {
    PickleValue *a = nullptr, *b = nullptr, *c = nullptr;
    std::vector<PickleValue*> items;
    switch (op) {
    case ')':
        return makeSequence(Kind::Tuple, {}); // EMPTY_TUPLE
    case ']':
        return makeSequence(Kind::List, {}); // EMPTY_LIST
    case '}':
        return push(m_doc.make(Kind::Dict)); // EMPTY_DICT
    case 0x8f:
        return makeSequence(Kind::Set, {}); // EMPTY_SET
    case 0x85:
    case 0x86:
    case 0x87: { // TUPLE1..3
        const int k = op - 0x84;
        items.resize(size_t(k));
        for (int i = k - 1; i >= 0; --i)
            if (!pop(&items[size_t(i)])) return false;
        return makeSequence(Kind::Tuple, std::move(items));
    }
    case 't':
        return popMark(&items) && makeSequence(Kind::Tuple, std::move(items)); // TUPLE
    case 'l':
        return popMark(&items) && makeSequence(Kind::List, std::move(items)); // LIST
    case 0x91:
        return popMark(&items) && makeSequence(Kind::Set, std::move(items)); // FROZENSET
    case 'd':                                                                // DICT
        if (!popMark(&items)) return false;
        if (items.size() % 2) return fail(QStringLiteral("DICT with an odd number of values"));
        a = m_doc.make(Kind::Dict);
        if (!a) return push(a);
        for (size_t i = 0; i + 1 < items.size(); i += 2)
            pickleDictSet(a, items[i], items[i + 1]);
        return push(a);
    case 'a': // APPEND
        if (!pop(&b) || !top(&a)) return false;
        return appendItems(a, {b});
    case 'e':
    case 0x90: // APPENDS, ADDITEMS
        if (!popMark(&items) || !top(&a)) return false;
        return appendItems(a, items);
    case 's': // SETITEM
        if (!pop(&c) || !pop(&b) || !top(&a)) return false;
        return setItems(a, {b, c});
    default: // SETITEMS
        if (!popMark(&items) || !top(&a)) return false;
        return setItems(a, items);
    }
}

// None, booleans, integers (binary and text) and floats.
bool PickleMachine::numberOp(int op) {
    PickleValue* a = nullptr;
    uint64_t n = 0;
    QByteArray line;
    switch (op) {
    case 'N':
        return push(m_doc.make(Kind::None));
    case 0x88:
    case 0x89: // NEWTRUE, NEWFALSE
        a = m_doc.make(Kind::Bool);
        if (a) a->boolValue = op == 0x88;
        return push(a);
    case 'J': // BININT
        if (!readU(4, &n)) return false;
        return pushInt(int32_t(uint32_t(n)));
    case 'K':
        if (!readU(1, &n)) return false;
        return pushInt(int64_t(n)); // BININT1
    case 'M':
        if (!readU(2, &n)) return false;
        return pushInt(int64_t(n)); // BININT2
    case 0x8a:
        if (!readU(1, &n)) return false;
        return pushLong(qint64(n)); // LONG1
    case 0x8b:                      // LONG4
        if (!readU(4, &n)) return false;
        if (int32_t(uint32_t(n)) < 0) return fail(QStringLiteral("negative LONG4 size"));
        return pushLong(qint64(n));
    case 'I':
    case 'L': { // INT, LONG (text)
        if (!readLine(&line)) return false;
        if (line.endsWith('L')) line.chop(1);
        if (op == 'I' && (line == "00" || line == "01")) {
            a = m_doc.make(Kind::Bool);
            if (a) a->boolValue = line == "01";
            return push(a);
        }
        bool ok = false;
        const qlonglong v = line.toLongLong(&ok);
        if (ok) return pushInt(v);
        for (char ch : line)
            if (!(ch >= '0' && ch <= '9') && ch != '-' && ch != '+')
                return fail(QStringLiteral("bad integer text"));
        return push(m_doc.make(Kind::BigInt));
    }
    case 'F': { // FLOAT (text)
        if (!readLine(&line)) return false;
        bool ok = false;
        const double v = line.toDouble(&ok);
        if (!ok) return fail(QStringLiteral("bad float text"));
        a = m_doc.make(Kind::Float);
        if (a) a->floatValue = v;
        return push(a);
    }
    default: { // BINFLOAT, big-endian
        if (!need(8)) return false;
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i)
            bits = (bits << 8) | m_data[m_pos + i];
        m_pos += 8;
        double v;
        std::memcpy(&v, &bits, 8);
        a = m_doc.make(Kind::Float);
        if (a) a->floatValue = v;
        return push(a);
    }
    }
}

// Text and bytes, length-prefixed or as a line.
bool PickleMachine::stringOp(int op) {
    switch (op) {
    case 'X':
        return pushString(Kind::String, 4); // BINUNICODE
    case 0x8c:
        return pushString(Kind::String, 1); // SHORT_BINUNICODE
    case 0x8d:
        return pushString(Kind::String, 8); // BINUNICODE8
    case 'T':
        return pushString(Kind::String, 4); // BINSTRING (py2 str)
    case 'U':
        return pushString(Kind::String, 1); // SHORT_BINSTRING
    case 'B':
        return pushString(Kind::Bytes, 4); // BINBYTES
    case 'C':
        return pushString(Kind::Bytes, 1); // SHORT_BINBYTES
    case 0x8e:
    case 0x96:
        return pushString(Kind::Bytes, 8); // BINBYTES8, BYTEARRAY8
    default: { // STRING (quoted repr), UNICODE (raw-unicode-escape line)
        QByteArray line;
        if (!readLine(&line)) return false;
        if (op == 'S') {
            if (line.size() < 2 || line.front() != line.back() ||
                (line.front() != '\'' && line.front() != '"'))
                return fail(QStringLiteral("bad STRING quoting"));
            line = line.mid(1, line.size() - 2);
        }
        PickleValue* a = m_doc.make(Kind::String);
        if (a) a->text = line;
        return push(a);
    }
    }
}

// GLOBAL names and everything that would call them (REDUCE, NEWOBJ, INST, OBJ),
// BUILD, and persistent ids: all become inert values.
bool PickleMachine::objectOp(int op) {
    PickleValue *a = nullptr, *b = nullptr, *c = nullptr;
    std::vector<PickleValue*> items;
    QByteArray line, line2;
    switch (op) {
    case 'c': // GLOBAL
        if (!readLine(&line) || !readLine(&line2)) return false;
        return makeGlobal(line, line2);
    case 0x93: // STACK_GLOBAL
        if (!pop(&b) || !pop(&a)) return false;
        if (!a->isString() || !b->isString())
            return fail(QStringLiteral("STACK_GLOBAL needs two strings"));
        return makeGlobal(a->text, b->text);
    case 'R':  // REDUCE
    case 0x81: // NEWOBJ
        if (!pop(&b) || !pop(&a)) return false;
        return call(a, b);
    case 0x92: // NEWOBJ_EX
        if (!pop(&c) || !pop(&b) || !pop(&a)) return false;
        return call(a, b);
    case 'i': // INST: module and name lines, arguments above the mark
        if (!readLine(&line) || !readLine(&line2) || !popMark(&items)) return false;
        if (!makeGlobal(line, line2) || !pop(&a)) return false;
        b = m_doc.make(Kind::Tuple);
        if (!b) return push(b);
        b->items = std::move(items);
        return call(a, b);
    case 'o': { // OBJ: class and arguments above the mark
        if (!popMark(&items)) return false;
        if (items.empty()) return fail(QStringLiteral("OBJ without a class"));
        b = m_doc.make(Kind::Tuple);
        if (!b) return push(b);
        b->items.assign(items.begin() + 1, items.end());
        return call(items[0], b);
    }
    case 'b': // BUILD
        if (!pop(&b) || !top(&a)) return false;
        if (a->kind == Kind::Object) a->state = b;
        return true; // state on other values (OrderedDict _metadata) is not needed
    case 'Q':        // BINPERSID
        if (!pop(&a)) return false;
        b = m_doc.make(Kind::PersistentId);
        if (b) b->args = a;
        return push(b);
    default: // PERSID
        if (!readLine(&line)) return false;
        a = m_doc.make(Kind::String);
        if (!a) return push(a);
        a->text = line;
        b = m_doc.make(Kind::PersistentId);
        if (b) b->args = a;
        return push(b);
    }
}

// PROTO, FRAME, STOP, and the opcodes we refuse (extension registry, out-of-band
// buffers).
bool PickleMachine::framingOp(int op) {
    PickleValue* a = nullptr;
    uint64_t n = 0;
    switch (op) {
    case 0x80: // PROTO
        if (!readU(1, &n)) return false;
        if (n > 5) return fail(QStringLiteral("unsupported pickle protocol %1").arg(n));
        return true;
    case 0x95: // FRAME: frames are transparent, but the length must fit
        if (!readU(8, &n)) return false;
        if (n > uint64_t(m_size - m_pos)) return need(qint64(std::min<uint64_t>(n, 1ull << 62)));
        return true;
    case '.': // STOP
        if (!pop(&a)) return false;
        m_result = a;
        m_stopped = true;
        return true;
    case 0x98:
        return true; // READONLY_BUFFER
    case 0x97:
        return fail(QStringLiteral("out-of-band buffers (NEXT_BUFFER) are not supported"));
    default:
        return fail(QStringLiteral("extension registry opcodes (EXT1/2/4) are not supported"));
    }
}

} // namespace detail
} // namespace ws
