// Pickle values, their arena, and the opcode machine's plumbing: the run loop and
// the harmless calls (OrderedDict, set, bytes) it resolves; every other call stays
// an inert object. The opcodes themselves are in PickleOpcodes.cpp.
#include "Pickle.h"
#include "PickleMachine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace ws {

using Kind = PickleValue::Kind;
using detail::PickleMachine;

QString PickleValue::qualifiedName() const {
    const PickleValue* g = kind == Kind::Object ? cls : this;
    if (!g || g->kind != Kind::Global) return QString();
    return QString::fromUtf8(g->text) + QLatin1Char('.') + QString::fromUtf8(g->name);
}

const PickleValue* PickleValue::get(const char* key) const {
    if (kind != Kind::Dict && kind != Kind::Object) return nullptr;
    for (const auto& e : entries)
        if (e.first && e.first->kind == Kind::String && e.first->text == key) return e.second;
    return nullptr;
}

QString pickleKeyText(const PickleValue* key) {
    if (!key) return QStringLiteral("?");
    switch (key->kind) {
    case Kind::String:
        return QString::fromUtf8(key->text);
    case Kind::Int:
        return QString::number(key->intValue);
    case Kind::Bool:
        return key->boolValue ? QStringLiteral("True") : QStringLiteral("False");
    case Kind::None:
        return QStringLiteral("None");
    case Kind::Float:
        return QString::number(key->floatValue);
    case Kind::Bytes:
        return QString::fromLatin1(key->text);
    default:
        return QStringLiteral("?");
    }
}

PickleValue* PickleDocument::make(Kind kind) {
    PickleValue* v = nullptr;
    if (!m_free.empty()) {
        v = m_free.back();
        m_free.pop_back();
    } else {
        if (m_values.size() >= m_limit) return nullptr;
        m_values.emplace_back();
        v = &m_values.back();
    }
    v->kind = kind;
    ++m_made;
    return v;
}

void PickleDocument::release(PickleValue* v) {
    *v = PickleValue();
    m_free.push_back(v);
}

PickleValue* PickleDocument::elided(Kind kind) {
    for (PickleValue* e : m_elided)
        if (e->kind == kind) return e;
    m_values.emplace_back(); // beyond the limit: at most one per scalar kind
    PickleValue* e = &m_values.back();
    e->kind = kind;
    e->elided = true;
    e->pinned = true;
    m_elided.push_back(e);
    return e;
}

void PickleDocument::clear() {
    m_values.clear();
    m_free.clear();
    m_elided.clear();
    m_made = 0;
}

namespace {

// Index key for dict de-duplication: only strings and ints are hashed.
bool indexKey(const PickleValue* k, std::string* out) {
    if (k->kind == Kind::String) {
        *out = "s" + k->text.toStdString();
        return true;
    }
    if (k->kind == Kind::Int || k->kind == Kind::Bool) {
        *out = "i" + std::to_string(k->kind == Kind::Bool ? int64_t(k->boolValue) : k->intValue);
        return true;
    }
    return false;
}

} // namespace

namespace detail {

void pickleDictSet(PickleValue* d, PickleValue* k, PickleValue* v) {
    std::string key;
    if (indexKey(k, &key)) {
        if (!d->index) {
            d->index = std::make_unique<std::unordered_map<std::string, size_t>>();
            std::string other;
            for (size_t i = 0; i < d->entries.size(); ++i)
                if (indexKey(d->entries[i].first, &other)) (*d->index)[other] = i;
        }
        auto it = d->index->find(key);
        if (it != d->index->end()) {
            d->entries[it->second].second = v;
            return;
        }
        (*d->index)[key] = d->entries.size();
    }
    d->entries.emplace_back(k, v);
}

bool pickleDecodeLong(const unsigned char* p, size_t n, int64_t* out) {
    if (n == 0) {
        *out = 0;
        return true;
    }
    const bool negative = p[n - 1] & 0x80;
    if (n > 8) {
        for (size_t i = 8; i < n; ++i)
            if (p[i] != (negative ? 0xff : 0x00)) return false;
        if (bool(p[7] & 0x80) != negative) return false;
        n = 8;
    }
    uint64_t v = negative ? ~uint64_t(0) : 0;
    for (size_t i = 0; i < n; ++i) {
        v &= ~(uint64_t(0xff) << (8 * i));
        v |= uint64_t(p[i]) << (8 * i);
    }
    std::memcpy(out, &v, 8);
    return true;
}

// REDUCE / NEWOBJ: a few harmless built-ins become plain values, all else is inert.
bool PickleMachine::call(PickleValue* callable, PickleValue* args) {
    const QString q = callable->kind == Kind::Global ? callable->qualifiedName() : QString();
    const std::vector<PickleValue*> none;
    const auto& a = args && args->kind == Kind::Tuple ? args->items : none;
    if (q == QLatin1String("collections.OrderedDict") ||
        q == QLatin1String("collections.defaultdict") || q == QLatin1String("builtins.dict") ||
        q == QLatin1String("__builtin__.dict")) {
        PickleValue* d = m_doc.make(Kind::Dict);
        return push(d);
    }
    if (q == QLatin1String("builtins.set") || q == QLatin1String("__builtin__.set") ||
        q == QLatin1String("builtins.frozenset") || q == QLatin1String("__builtin__.frozenset")) {
        PickleValue* s = m_doc.make(Kind::Set);
        if (s && !a.empty() && a[0]->isSequence()) s->items = a[0]->items;
        return push(s);
    }
    if ((q == QLatin1String("_codecs.encode") || q == QLatin1String("builtins.bytearray") ||
         q == QLatin1String("__builtin__.bytearray")) &&
        !a.empty() && (a[0]->kind == Kind::String || a[0]->kind == Kind::Bytes)) {
        PickleValue* b = m_doc.make(Kind::Bytes);
        // latin1: every code point below 256 is one byte
        if (b)
            b->text =
                a[0]->kind == Kind::String ? QString::fromUtf8(a[0]->text).toLatin1() : a[0]->text;
        return push(b);
    }
    PickleValue* o = m_doc.make(Kind::Object);
    if (o) {
        o->cls = callable;
        o->args = args;
    }
    return push(o);
}

bool PickleMachine::setItems(PickleValue* target, const std::vector<PickleValue*>& kv) {
    if (kv.size() % 2) return fail(QStringLiteral("SETITEMS with an odd number of values"));
    if (target->kind != Kind::Dict && target->kind != Kind::Object)
        return fail(QStringLiteral("SETITEM on a value that is not a dict"));
    for (size_t i = 0; i + 1 < kv.size(); i += 2)
        pickleDictSet(target, kv[i], kv[i + 1]);
    return true;
}

bool PickleMachine::appendItems(PickleValue* target, const std::vector<PickleValue*>& items) {
    if (target->kind != Kind::List && target->kind != Kind::Object && target->kind != Kind::Set)
        return fail(QStringLiteral("APPEND on a value that is not a list"));
    for (PickleValue* v : items) {
        const bool scalar = v->kind == Kind::None || v->kind == Kind::Bool ||
                            v->kind == Kind::Int || v->kind == Kind::BigInt ||
                            v->kind == Kind::Float;
        if (scalar && !v->pinned && target->kind == Kind::List &&
            target->items.size() >= PickleDocument::kKeepListScalars) {
            PickleValue* stand = m_doc.elided(v->kind);
            m_doc.release(v);
            v = stand;
        }
        target->items.push_back(v);
    }
    return true;
}

PickleValue* PickleMachine::run(qint64* end, QString* error, bool* truncated) {
    while (!m_stopped) {
        m_opPos = m_pos;
        if (m_pos >= m_size) {
            m_truncated = true;
            fail(QStringLiteral("pickle ends without STOP"));
            break;
        }
        const int op = m_data[m_pos++];
        if (!step(op)) break;
    }
    if (!m_stopped) {
        if (error) *error = m_error;
        if (truncated) *truncated = m_truncated;
        return nullptr;
    }
    if (end) *end = m_pos;
    return m_result;
}

} // namespace detail

PickleValue* PickleDocument::parse(const char* data, qint64 size, qint64 start, qint64* end,
                                   QString* error, bool* truncated) {
    if (truncated) *truncated = false;
    m_limit = std::max<size_t>(m_limit, kMaxValues + size_t(std::max<qint64>(size, 0)) /
                                                         kBytesPerExtraValue);
    PickleMachine m(*this, data, size, start);
    return m.run(end, error, truncated);
}

} // namespace ws