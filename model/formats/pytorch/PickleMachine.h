// Internal to the pickle reader: the opcode machine shared by Pickle.cpp (the
// machine's plumbing) and PickleOpcodes.cpp (one case per opcode).
#pragma once

#include "Pickle.h"

#include <array>
#include <cstring>
#include <limits>

namespace ws {
namespace detail {

/// Sets d[k] = v as Python does (a repeated string or int key replaces the value).
void pickleDictSet(PickleValue* d, PickleValue* k, PickleValue* v);
/// Little-endian two's complement of n bytes; false when it does not fit 64 bits.
bool pickleDecodeLong(const unsigned char* p, size_t n, int64_t* out);

using Kind = PickleValue::Kind;

class PickleMachine {
public:
    /// Longest module or attribute name a GLOBAL may carry.
    static constexpr int kMaxNameLength = 1024;

    PickleMachine(PickleDocument& doc, const char* data, qint64 size, qint64 pos)
        : m_doc(doc), m_data(reinterpret_cast<const unsigned char*>(data)), m_size(size),
          m_pos(pos) {}

    PickleValue* run(qint64* end, QString* error, bool* truncated);

private:
    bool fail(const QString& what) {
        if (m_error.isEmpty()) m_error = QStringLiteral("at byte %1: %2").arg(m_opPos).arg(what);
        return false;
    }
    bool need(qint64 n) {
        if (n < 0 || n > m_size - m_pos) {
            m_truncated = true;
            return fail(QStringLiteral("pickle ends early (needs %1 more bytes)").arg(n));
        }
        return true;
    }
    bool readU(int n, uint64_t* v) {
        if (!need(n)) return false;
        uint64_t r = 0;
        for (int i = 0; i < n; ++i)
            r |= uint64_t(m_data[m_pos + i]) << (8 * i);
        m_pos += n;
        *v = r;
        return true;
    }
    bool readLine(QByteArray* line) {
        const void* nl = std::memchr(m_data + m_pos, '\n', size_t(m_size - m_pos));
        if (!nl) {
            m_truncated = true;
            return fail(QStringLiteral("pickle ends inside a text line"));
        }
        qint64 len = static_cast<const unsigned char*>(nl) - (m_data + m_pos);
        *line = QByteArray(reinterpret_cast<const char*>(m_data + m_pos), int(len));
        m_pos += len + 1;
        return true;
    }
    bool push(PickleValue* v) {
        if (!v) return fail(QStringLiteral("more than %1 values").arg(m_doc.limit()));
        if (m_stack.size() >= PickleDocument::kMaxStack)
            return fail(QStringLiteral("stack too deep"));
        m_stack.push_back(v);
        return true;
    }
    bool pop(PickleValue** v) {
        if (m_stack.size() <= floor()) return fail(QStringLiteral("stack underflow"));
        *v = m_stack.back();
        m_stack.pop_back();
        return true;
    }
    bool top(PickleValue** v) {
        if (m_stack.size() <= floor()) return fail(QStringLiteral("stack underflow"));
        *v = m_stack.back();
        return true;
    }
    size_t floor() const { return m_marks.empty() ? 0 : m_marks.back(); }
    // Pops everything above the last MARK into \a out.
    bool popMark(std::vector<PickleValue*>* out) {
        if (m_marks.empty()) return fail(QStringLiteral("no MARK on the stack"));
        size_t m = m_marks.back();
        m_marks.pop_back();
        out->assign(m_stack.begin() + long(m), m_stack.end());
        m_stack.resize(m);
        return true;
    }
    PickleValue* makeString(Kind k, qint64 n) {
        PickleValue* v = m_doc.make(k);
        if (v) v->text = QByteArray(reinterpret_cast<const char*>(m_data + m_pos), int(n));
        m_pos += n;
        return v;
    }
    bool pushString(Kind k, int lenBytes) {
        uint64_t n;
        if (!readU(lenBytes, &n)) return false;
        if (n > uint64_t(m_size - m_pos)) {
            m_truncated = true;
            return fail(
                QStringLiteral("string of %1 bytes but only %2 remain").arg(n).arg(m_size - m_pos));
        }
        if (n > uint64_t(std::numeric_limits<int>::max() / 2))
            return fail(QStringLiteral("string of %1 bytes is too long").arg(n));
        return push(makeString(k, qint64(n)));
    }
    bool pushInt(int64_t v) {
        PickleValue* p = m_doc.make(Kind::Int);
        if (p) p->intValue = v;
        return push(p);
    }
    bool pushLong(qint64 n) {
        if (!need(n)) return false;
        int64_t v;
        PickleValue* p;
        if (pickleDecodeLong(m_data + m_pos, size_t(n), &v)) {
            p = m_doc.make(Kind::Int);
            if (p) p->intValue = v;
        } else {
            p = m_doc.make(Kind::BigInt);
        }
        m_pos += n;
        return push(p);
    }
    bool memoPut(uint64_t idx) {
        PickleValue* v = nullptr;
        if (!top(&v)) return false;
        v->pinned = true;
        m_memo[idx] = v;
        return true;
    }
    bool memoGet(uint64_t idx) {
        auto it = m_memo.find(idx);
        if (it == m_memo.end())
            return fail(QStringLiteral("memo index %1 was never stored").arg(idx));
        return push(it->second);
    }
    bool makeGlobal(const QByteArray& module, const QByteArray& name) {
        if (module.size() > kMaxNameLength || name.size() > kMaxNameLength)
            return fail(QStringLiteral("global name longer than %1 bytes").arg(kMaxNameLength));
        PickleValue* g = m_doc.make(Kind::Global);
        if (g) {
            g->text = module;
            g->name = name;
        }
        return push(g);
    }
    bool makeSequence(Kind k, std::vector<PickleValue*> items) {
        PickleValue* v = m_doc.make(k);
        if (v) v->items = std::move(items);
        return push(v);
    }
    bool call(PickleValue* callable, PickleValue* args);
    bool setItems(PickleValue* target, const std::vector<PickleValue*>& kv);
    bool appendItems(PickleValue* target, const std::vector<PickleValue*>& items);
    /// Runs one opcode through the handler of its family.
    bool step(int op);
    using Handler = bool (PickleMachine::*)(int op);
    static std::array<Handler, 256> handlerTable();
    bool unknownOp(int op);
    bool stackOp(int op);     ///< MARK, POP, DUP, memo
    bool containerOp(int op); ///< tuples, lists, dicts, sets
    bool numberOp(int op);    ///< None, bools, ints, floats
    bool stringOp(int op);    ///< text and bytes
    bool objectOp(int op);    ///< globals, calls, BUILD, persistent ids
    bool framingOp(int op);   ///< PROTO, FRAME, STOP, refused opcodes

    PickleDocument& m_doc;
    const unsigned char* m_data;
    qint64 m_size;
    qint64 m_pos;
    qint64 m_opPos = 0;
    std::vector<PickleValue*> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint64_t, PickleValue*> m_memo;
    QString m_error;
    bool m_truncated = false;
    bool m_stopped = false;
    PickleValue* m_result = nullptr;
};

} // namespace detail
} // namespace ws
