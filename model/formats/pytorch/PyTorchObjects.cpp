// Walks an unpickled checkpoint's object graph (bounded depth, cycle guard, visit
// budget), names its tensors by the rule in PyTorchObjects.h and records modules.
#include "PyTorchObjects.h"
#include "PyTorchTensorBuild.h"
#include "PyTorchTensorSpec.h"

#include <QStringList>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace ws {

using Kind = PickleValue::Kind;
using namespace detail;

namespace {

constexpr int kMaxDepth = 400;
constexpr int kMaxNameLength = 65536;
constexpr size_t kMaxTensors = 2000000;
constexpr size_t kMaxNameChars = size_t(64) << 20;
constexpr size_t kMaxNotes = 20;

/// A tensor's path, rendered twice: dotted string keys joined with '.' (plain) and
/// quoted in brackets (quoted), for when the plain names collide.
struct Path {
    QString plain, quoted;
    bool isEmpty() const { return plain.isEmpty(); }
};

QString quote(const QString& key) {
    QString s = key;
    s.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    s.replace(QLatin1Char('\''), QLatin1String("\\'"));
    return QLatin1String("['") + s + QLatin1String("']");
}

QString joined(const QString& prefix, const QString& part) {
    return prefix.isEmpty() ? part : prefix + QLatin1Char('.') + part;
}

Path plainChild(const Path& p, const QString& part) {
    return {joined(p.plain, part), joined(p.quoted, part)};
}

Path bracketChild(const Path& p, const QString& bracketed) {
    return {p.plain + bracketed, p.quoted + bracketed};
}

// Python's repr of a float, as a key shows it ("0.5", "inf", "nan").
QString floatRepr(double v) {
    if (std::isnan(v)) return QStringLiteral("nan");
    if (std::isinf(v)) return v > 0 ? QStringLiteral("inf") : QStringLiteral("-inf");
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    QString s = QString::fromLatin1(buf, int(res.ptr - buf));
    if (!s.contains(QLatin1Char('.')) && !s.contains(QLatin1Char('e'))) s += QLatin1String(".0");
    return s;
}

class Walker {
public:
    Walker(const PyTorchStorageResolver& r, WeightFile* out, size_t valueCount,
           const PyTorchWalkOptions& options)
        : m_resolver(r), m_out(out), m_options(options), m_budget(valueCount * 16 + 100000) {}

    bool walk(const PickleValue* v, const Path& path, int depth);
    /// Gives colliding tensors their quoted names and notes what was skipped.
    void finish();
    QString error;

private:
    bool emitTensor(const PickleValue* v, const Path& path, bool parameterByClass = false,
                    bool isParameter = false);
    // Notes a tensor we cannot show in the file's metadata and goes on.
    bool skip(const QString& name, const QString& why) {
        QString& note = m_out->metadata[QStringLiteral("unsupported tensors")];
        if (++m_skipped > kMaxNotes) return true;
        if (!note.isEmpty()) note += QLatin1String("; ");
        note += name.left(200) + QLatin1String(": ") + why.left(200);
        return true;
    }
    bool addModule(const PickleValue* v, const Path& path);
    bool walkModule(const PickleValue* v, const Path& path, int depth);
    bool walkScriptObject(const PickleValue* v, const Path& path, int depth);
    Path keyChild(const Path& p, const PickleValue* key);
    bool walkEntries(const PickleValue* v, const Path& path, int depth) {
        for (const auto& e : v->entries)
            if (!walk(e.second, keyChild(path, e.first), depth + 1)) return false;
        return true;
    }
    bool walkItems(const PickleValue* v, const Path& path, int depth) {
        for (size_t i = 0; i < v->items.size(); ++i) {
            const PickleValue* item = v->items[i];
            switch (item->kind) { // scalars hold no tensors: no path to build
            case Kind::Object:
            case Kind::Dict:
            case Kind::List:
            case Kind::Tuple:
            case Kind::Set:
                if (!walk(item, plainChild(path, QString::number(i)), depth + 1)) return false;
                break;
            default:
                if (++m_visits > m_budget) return walk(item, path, depth + 1); // reports it
            }
        }
        return true;
    }

    const PyTorchStorageResolver& m_resolver;
    WeightFile* m_out;
    const PyTorchWalkOptions& m_options;
    size_t m_budget;
    size_t m_visits = 0;
    size_t m_skipped = 0;
    size_t m_nameChars = 0;            ///< total length of the names handed out
    QHash<QString, int> m_keyCounters; ///< "[tensor#N]" numbering, per kind of key
    std::vector<QString> m_quoted;     ///< per emitted tensor: its quoted name
    std::unordered_set<const PickleValue*> m_onPath;
};

Path Walker::keyChild(const Path& p, const PickleValue* key) {
    if (!key) return bracketChild(p, QStringLiteral("[None]"));
    switch (key->kind) {
    case Kind::String: {
        const QString k = QString::fromUtf8(key->text);
        if (k.isEmpty() || k.contains(QLatin1Char('[')) || k.contains(QLatin1Char(']')))
            return bracketChild(p, quote(k));
        if (k.contains(QLatin1Char('.'))) return {joined(p.plain, k), p.quoted + quote(k)};
        return plainChild(p, k);
    }
    case Kind::Int:
        if (!key->elided)
            return bracketChild(p, QLatin1Char('[') + QString::number(key->intValue) +
                                       QLatin1Char(']'));
        break;
    case Kind::Bool:
        return bracketChild(p,
                            key->boolValue ? QStringLiteral("[True]") : QStringLiteral("[False]"));
    case Kind::None:
        return bracketChild(p, QStringLiteral("[None]"));
    case Kind::Float:
        if (!key->elided)
            return bracketChild(p,
                                QLatin1Char('[') + floatRepr(key->floatValue) + QLatin1Char(']'));
        break;
    default:
        break;
    }
    QString kind = QStringLiteral("object");
    if (isTensorObject(key))
        kind = QStringLiteral("tensor");
    else if (key->kind == Kind::Tuple)
        kind = QStringLiteral("tuple");
    else if (key->kind == Kind::Bytes)
        kind = QStringLiteral("bytes");
    else if (key->kind == Kind::BigInt || key->kind == Kind::Int)
        kind = QStringLiteral("int");
    const int n = m_keyCounters[kind]++;
    return bracketChild(p, QStringLiteral("[%1#%2]").arg(kind).arg(n));
}

bool Walker::emitTensor(const PickleValue* v, const Path& path, bool parameterByClass,
                        bool isParameter) {
    const QString name = path.isEmpty() ? QStringLiteral("tensor") : path.plain;
    TensorSpec spec;
    QString why;
    bool unsupported = false;
    TensorPtr t;
    if (!parseTensorSpec(v, &spec, &why, &unsupported)) {
        if (unsupported) return skip(name, why);
        t = std::make_shared<Tensor>();
        t->name = name;
        t->problem = QStringLiteral("tensor %1: %2").arg(name, why);
        t->storage = Storage::fromBytes(QByteArray(), QString());
    } else {
        t = buildPyTorchTensor(spec, name, m_resolver, &unsupported, &why);
        if (!t) return skip(name, why);
    }
    if (parameterByClass) t->isParameter = isParameter;
    m_nameChars += size_t(name.size()) + size_t(path.quoted.size());
    if (m_out->tensors.size() >= kMaxTensors || m_nameChars > kMaxNameChars) {
        error = QStringLiteral("more tensors or longer names than a checkpoint can plausibly "
                               "hold (%1 tensors so far)")
                    .arg(m_out->tensors.size());
        return false;
    }
    m_out->tensors.push_back(std::move(t));
    m_quoted.push_back(path.isEmpty() ? name : path.quoted);
    return true;
}

bool Walker::addModule(const PickleValue* v, const Path& path) {
    ModuleInfo info;
    info.path = path.plain;
    info.qualifiedName = v->qualifiedName();
    info.className = QString::fromUtf8(v->cls->name);
    m_nameChars += size_t(path.plain.size()) + size_t(info.qualifiedName.size());
    if (m_nameChars > kMaxNameChars) {
        error = QStringLiteral("more modules than a checkpoint can plausibly hold");
        return false;
    }
    m_out->modules.push_back(info);
    return true;
}

bool Walker::walkModule(const PickleValue* v, const Path& path, int depth) {
    if (!addModule(v, path)) return false;
    const PickleValue* state = v->state;
    std::unordered_set<QString> skipped;
    if (const PickleValue* np = state->get("_non_persistent_buffers_set"))
        for (const PickleValue* x : np->items)
            if (x->isString()) skipped.insert(QString::fromUtf8(x->text));
    for (const char* group : {"_parameters", "_buffers"}) {
        const PickleValue* d = state->get(group);
        if (!d || d->kind != Kind::Dict) continue;
        for (const auto& e : d->entries) {
            if (e.second->kind == Kind::None || skipped.count(pickleKeyText(e.first))) continue;
            if (!walk(e.second, keyChild(path, e.first), depth + 1)) return false;
        }
    }
    const PickleValue* children = state->get("_modules");
    if (children && children->kind == Kind::Dict) return walkEntries(children, path, depth);
    return true;
}

// A TorchScript object (class __torch__.*): its attributes are its state dict; its
// class's __parameters__ (from the code records) tell parameters from buffers.
bool Walker::walkScriptObject(const PickleValue* v, const Path& path, int depth) {
    if (!addModule(v, path)) return false;
    const auto params = m_options.parametersOf.find(v->qualifiedName());
    for (const auto& e : v->state->entries) {
        const Path child = keyChild(path, e.first);
        if (isTensorObject(e.second)) {
            const bool isParameter =
                params != m_options.parametersOf.end() && params->contains(pickleKeyText(e.first));
            if (++m_visits > m_budget) return walk(e.second, child, depth + 1);
            if (!emitTensor(e.second, child, true, isParameter)) return false;
        } else if (!walk(e.second, child, depth + 1)) {
            return false;
        }
    }
    return true;
}

bool Walker::walk(const PickleValue* v, const Path& path, int depth) {
    if (!v) return true;
    if (++m_visits > m_budget) {
        error = QStringLiteral("the object graph repeats too often to walk");
        return false;
    }
    if (path.plain.size() > kMaxNameLength || path.quoted.size() > kMaxNameLength) {
        error = QStringLiteral("a tensor path grows longer than %1 characters").arg(kMaxNameLength);
        return false;
    }
    if (depth > kMaxDepth) {
        error = QStringLiteral("objects nested deeper than %1 levels at %2")
                    .arg(kMaxDepth)
                    .arg(path.plain);
        return false;
    }
    switch (v->kind) {
    case Kind::Object:
    case Kind::Dict:
    case Kind::List:
    case Kind::Tuple:
    case Kind::Set:
        break;
    default:
        return true;
    }
    if (isTensorObject(v)) return emitTensor(v, path);
    if (!m_onPath.insert(v).second) return true; // a cycle: already being walked
    bool ok = true;
    if (v->kind == Kind::Object) {
        const PickleValue* s = v->state;
        const PickleValue* g = v->cls;
        if (s && s->kind == Kind::Dict && (s->get("_parameters") || s->get("_modules"))) {
            ok = walkModule(v, path, depth);
        } else if (s && s->kind == Kind::Dict && g && g->kind == Kind::Global &&
                   g->text.startsWith("__torch__.")) {
            ok = walkScriptObject(v, path, depth);
        } else {
            const bool hasContent = s || !v->entries.empty() || !v->items.empty();
            if (s) ok = walk(s, path, depth + 1);
            if (ok) ok = walkEntries(v, path, depth);
            if (ok) ok = walkItems(v, path, depth);
            if (ok && !hasContent && v->args) ok = walk(v->args, path, depth + 1);
        }
    } else if (v->kind == Kind::Dict) {
        ok = walkEntries(v, path, depth);
    } else {
        ok = walkItems(v, path, depth);
    }
    m_onPath.erase(v);
    return ok;
}

void Walker::finish() {
    auto& tensors = m_out->tensors;
    QHash<QString, int> count;
    for (const TensorPtr& t : tensors)
        ++count[t->name];
    QSet<QString> used;
    for (size_t i = 0; i < tensors.size(); ++i) {
        QString name = tensors[i]->name;
        if (count.value(name) > 1 && i < m_quoted.size()) name = m_quoted[i];
        if (used.contains(name)) {
            int k = 2;
            while (used.contains(name + QStringLiteral("#%1").arg(k)))
                ++k;
            name += QStringLiteral("#%1").arg(k);
        }
        used.insert(name);
        tensors[i]->name = name;
    }
    if (m_skipped > kMaxNotes)
        m_out->metadata[QStringLiteral("unsupported tensors")] +=
            QStringLiteral("; and %1 more").arg(m_skipped - kMaxNotes);
}

} // namespace

bool parsePyTorchStorageRef(const PickleValue* pid, PyTorchStorageRef* out, QString* error) {
    if (!pid || pid->kind != Kind::Tuple || pid->items.size() < 5 || !pid->items[0]->isString() ||
        pid->items[0]->text != "storage") {
        *error = QStringLiteral("persistent id is not ('storage', class, key, location, numel)");
        return false;
    }
    const auto& a = pid->items;
    const QString cls = a[1]->qualifiedName();
    const auto dtype = storageClassDType(cls, &out->untyped, &out->quantized);
    out->unsupportedClass = dtype ? QString() : cls;
    out->dtype = dtype ? *dtype : DType::UInt8;
    if (!a[2]->isString() && !(a[2]->kind == Kind::Int && !a[2]->elided)) {
        *error = QStringLiteral("storage key is not a string");
        return false;
    }
    out->key = pickleKeyText(a[2]);
    if (!pickleInt(a[4], &out->numel) || out->numel < 0 || out->numel > kMaxElements * 8) {
        *error = QStringLiteral("storage %1 has an invalid element count").arg(out->key);
        return false;
    }
    out->viewOffset = 0;
    if (a.size() >= 6 && a[5]->kind != Kind::None) {
        // legacy view metadata: (view_key, offset, view_size)
        const PickleValue* view = a[5];
        if (!view->isSequence() || view->items.size() < 3 ||
            !pickleInt(view->items[1], &out->viewOffset) || out->viewOffset < 0 ||
            out->viewOffset > out->numel) {
            *error = QStringLiteral("storage %1 has malformed view metadata").arg(out->key);
            return false;
        }
    }
    return true;
}

bool collectPyTorchTensors(const PickleValue* root, size_t valueCount,
                           const PyTorchStorageResolver& resolver, WeightFile* out, QString* error,
                           const PyTorchWalkOptions& options) {
    Walker w(resolver, out, valueCount, options);
    if (!w.walk(root, Path(), 0)) {
        *error = w.error;
        return false;
    }
    w.finish();
    return true;
}

} // namespace ws
