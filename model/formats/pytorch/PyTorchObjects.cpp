// Recognises tensors in an unpickled checkpoint and walks the object graph
// (bounded depth, cycle guard, visit budget) to name them in file order.
#include "PyTorchObjects.h"

#include <QStringList>
#include <unordered_set>

namespace ws {

using Kind = PickleValue::Kind;

namespace {

constexpr int kMaxDepth = 400;
constexpr int kMaxDims = 64;
constexpr int kMaxNameLength = 65536;
constexpr size_t kMaxTensors = 2000000;
constexpr size_t kMaxNameChars = size_t(64) << 20;
constexpr size_t kMaxNotes = 20;
constexpr int64_t kMaxBroadcast = int64_t(1) << 28;

std::optional<DType> storageClassDType(const QString& q, bool* untyped) {
    *untyped = false;
    QString name = q;
    if (name.startsWith(QLatin1String("torch.cuda."))) name.remove(5, 5);
    if (name == QLatin1String("torch.storage.UntypedStorage") ||
        name == QLatin1String("torch.UntypedStorage") ||
        name == QLatin1String("torch.storage._UntypedStorage")) {
        *untyped = true;
        return DType::UInt8;
    }
    static const struct {
        const char* name;
        DType dtype;
    } table[] = {
        {"torch.HalfStorage", DType::Float16},
        {"torch.BFloat16Storage", DType::BFloat16},
        {"torch.FloatStorage", DType::Float32},
        {"torch.DoubleStorage", DType::Float64},
        {"torch.LongStorage", DType::Int64},
        {"torch.IntStorage", DType::Int32},
        {"torch.ShortStorage", DType::Int16},
        {"torch.CharStorage", DType::Int8},
        {"torch.ByteStorage", DType::UInt8},
        {"torch.BoolStorage", DType::Bool},
        {"torch.ComplexFloatStorage", DType::Complex64},
    };
    for (const auto& e : table)
        if (name == QLatin1String(e.name)) return e.dtype;
    return std::nullopt;
}

std::optional<DType> torchDType(const PickleValue* v) {
    if (!v || v->kind != Kind::Global || v->text != "torch") return std::nullopt;
    static const struct {
        const char* alias;
        DType dtype;
    } aliases[] = {{"float", DType::Float32},
                   {"half", DType::Float16},
                   {"double", DType::Float64},
                   {"long", DType::Int64},
                   {"int", DType::Int32},
                   {"short", DType::Int16},
                   {"cfloat", DType::Complex64},
                   {"float8_e4m3fn", DType::Float8E4M3},
                   {"float8_e5m2", DType::Float8E5M2}};
    for (const auto& e : aliases)
        if (v->name == e.alias) return e.dtype;
    return dtypeFromName(QString::fromUtf8(v->name));
}

bool intOf(const PickleValue* v, int64_t* out) {
    if (!v) return false;
    if (v->kind == Kind::Int)
        *out = v->intValue;
    else if (v->kind == Kind::Bool)
        *out = v->boolValue;
    else
        return false;
    return true;
}

bool intTuple(const PickleValue* v, std::vector<int64_t>* out) {
    if (!v || !v->isSequence() || v->items.size() > size_t(kMaxDims)) return false;
    out->clear();
    for (const PickleValue* x : v->items) {
        int64_t i;
        if (!intOf(x, &i)) return false;
        out->push_back(i);
    }
    return true;
}

// Any torch._utils._rebuild_* / torch._tensor._rebuild_* call makes a tensor (those
// we do not read are noted as unsupported). Compares bytes: no allocation per visit.
bool isTensorObject(const PickleValue* v) {
    const PickleValue* c = v->cls;
    return c && c->kind == Kind::Global &&
           (c->text == "torch._utils" || c->text == "torch._tensor") &&
           c->name.startsWith("_rebuild_");
}

struct TensorSpec {
    const PickleValue* pid = nullptr;
    int64_t offset = 0;
    std::vector<int64_t> size, stride;
    std::optional<DType> dtype;
    bool isParameter = false;
};

// False with \a error on malformed input; false with \a unsupported set for tensors
// that are well-formed but of a kind we do not read (quantized, sparse, ...).
bool tensorSpec(const PickleValue* cls, const PickleValue* args, TensorSpec* spec, int depth,
                QString* error, bool* unsupported) {
    const QString q = cls ? cls->qualifiedName() : QString();
    const std::vector<PickleValue*> none;
    const auto& a = args && args->kind == Kind::Tuple ? args->items : none;
    if (depth > 8) {
        *error = QStringLiteral("tensor wrappers nest too deep");
        return false;
    }
    if (q == QLatin1String("torch._utils._rebuild_parameter") ||
        q == QLatin1String("torch._utils._rebuild_parameter_with_state")) {
        if (a.empty() || a[0]->kind != Kind::Object) {
            *error = QStringLiteral("%1 without a tensor argument").arg(q);
            return false;
        }
        spec->isParameter = true;
        return tensorSpec(a[0]->cls, a[0]->args, spec, depth + 1, error, unsupported);
    }
    if (q == QLatin1String("torch._tensor._rebuild_from_type_v2")) {
        // (func, new_type, args, state)
        if (a.size() < 3) {
            *error = QStringLiteral("_rebuild_from_type_v2 needs 3 arguments");
            return false;
        }
        if (a[1]->qualifiedName() == QLatin1String("torch.nn.parameter.Parameter"))
            spec->isParameter = true;
        return tensorSpec(a[0], a[2], spec, depth + 1, error, unsupported);
    }
    const bool v3 = q == QLatin1String("torch._utils._rebuild_tensor_v3");
    if (q != QLatin1String("torch._utils._rebuild_tensor_v2") && !v3 &&
        q != QLatin1String("torch._utils._rebuild_tensor")) {
        *error = QStringLiteral("unsupported tensor constructor %1").arg(q);
        *unsupported = true;
        return false;
    }
    if (a.size() < (v3 ? 7u : 4u)) {
        *error = QStringLiteral("%1 with %2 arguments").arg(q).arg(a.size());
        return false;
    }
    if (a[0]->kind != Kind::PersistentId) {
        *error = QStringLiteral("tensor storage is not a persistent id");
        return false;
    }
    spec->pid = a[0]->args;
    if (!intOf(a[1], &spec->offset) || !intTuple(a[2], &spec->size) ||
        !intTuple(a[3], &spec->stride)) {
        *error = QStringLiteral("tensor offset, size or stride is malformed");
        return false;
    }
    if (v3) {
        spec->dtype = torchDType(a[6]);
        if (!spec->dtype) {
            *error = QStringLiteral("unsupported dtype %1").arg(a[6]->qualifiedName());
            *unsupported = true;
            return false;
        }
    }
    return true;
}

QString join(const QString& prefix, const QString& key) {
    return prefix.isEmpty() ? key : prefix + QLatin1Char('.') + key;
}

class Walker {
public:
    Walker(const PyTorchStorageResolver& r, WeightFile* out, size_t valueCount)
        : m_resolver(r), m_out(out), m_budget(std::min<size_t>(valueCount * 16 + 100000, 5000000)) {
    }

    bool walk(const PickleValue* v, const QString& path, int depth);
    QString error;

private:
    bool emitTensor(const PickleValue* v, const QString& path);
    // Notes a tensor we cannot show in the file's metadata and goes on.
    bool skip(const QString& name, const QString& why) {
        QString& note = m_out->metadata[QStringLiteral("unsupported tensors")];
        if (++m_skipped > kMaxNotes) return true;
        if (!note.isEmpty()) note += QLatin1String("; ");
        note += name.left(200) + QLatin1String(": ") + why.left(200);
        return true;
    }

public:
    void finish() {
        if (m_skipped > kMaxNotes)
            m_out->metadata[QStringLiteral("unsupported tensors")] +=
                QStringLiteral("; and %1 more").arg(m_skipped - kMaxNotes);
    }

private:
    bool walkModule(const PickleValue* v, const QString& path, int depth);
    bool walkEntries(const PickleValue* v, const QString& path, int depth) {
        for (const auto& e : v->entries)
            if (!walk(e.second, join(path, pickleKeyText(e.first)), depth + 1)) return false;
        return true;
    }
    bool walkItems(const PickleValue* v, const QString& path, int depth) {
        for (size_t i = 0; i < v->items.size(); ++i)
            if (!walk(v->items[i], join(path, QString::number(i)), depth + 1)) return false;
        return true;
    }

    const PyTorchStorageResolver& m_resolver;
    WeightFile* m_out;
    size_t m_budget;
    size_t m_visits = 0;
    size_t m_skipped = 0;
    size_t m_nameChars = 0; ///< total length of the names handed out
    std::unordered_set<const PickleValue*> m_onPath;
};

bool Walker::emitTensor(const PickleValue* v, const QString& path) {
    const QString name = path.isEmpty() ? QStringLiteral("tensor") : path;
    TensorSpec spec;
    QString why;
    bool unsupported = false;
    if (!tensorSpec(v->cls, v->args, &spec, 0, &why, &unsupported)) {
        if (unsupported) return skip(name, why);
        error = QStringLiteral("tensor %1: %2").arg(name, why);
        return false;
    }
    PyTorchStorageRef ref;
    if (!parsePyTorchStorageRef(spec.pid, &ref, &why)) {
        error = QStringLiteral("tensor %1: %2").arg(name, why);
        return false;
    }
    if (!ref.unsupportedClass.isEmpty())
        return skip(name, QStringLiteral("unsupported storage class %1").arg(ref.unsupportedClass));
    m_nameChars += size_t(name.size());
    if (m_out->tensors.size() >= kMaxTensors || m_nameChars > kMaxNameChars) {
        error = QStringLiteral("more tensors or longer names than a checkpoint can plausibly "
                               "hold (%1 tensors so far)")
                    .arg(m_out->tensors.size());
        return false;
    }
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->dtype = spec.dtype ? *spec.dtype : ref.dtype;
    if (ref.untyped && !spec.dtype) {
        error = QStringLiteral("tensor %1: untyped storage without a dtype").arg(name);
        return false;
    }
    t->shape = spec.size;
    t->strides = spec.stride;
    t->isParameter = spec.isParameter;
    if (spec.offset < 0 || spec.offset > kMaxElements * 16) {
        error = QStringLiteral("tensor %1: storage offset %2 is out of range")
                    .arg(name)
                    .arg(spec.offset);
        return false;
    }
    t->storageOffset = spec.offset + ref.viewOffset;
    t->storage = m_resolver(ref, &why);
    if (!t->storage) {
        error = QStringLiteral("tensor %1: %2").arg(name, why);
        return false;
    }
    const QString problem = t->validate();
    if (!problem.isEmpty()) {
        error = problem;
        return false;
    }
    // Stride-0 views (expand) may repeat elements, but not without bound.
    const int64_t storageElements = t->storage->byteSize() / dtypeSize(t->dtype);
    if (t->numel() > storageElements && t->numel() > kMaxBroadcast) {
        error = QStringLiteral("tensor %1: a view of %2 elements over a storage of only %3")
                    .arg(name)
                    .arg(t->numel())
                    .arg(storageElements);
        return false;
    }
    m_out->tensors.push_back(std::move(t));
    return true;
}

bool Walker::walkModule(const PickleValue* v, const QString& path, int depth) {
    ModuleInfo info;
    info.path = path;
    info.qualifiedName = v->qualifiedName();
    info.className = QString::fromUtf8(v->cls->name);
    m_nameChars += size_t(path.size()) + size_t(info.qualifiedName.size());
    if (m_nameChars > kMaxNameChars) {
        error = QStringLiteral("more modules than a checkpoint can plausibly hold");
        return false;
    }
    m_out->modules.push_back(info);
    const PickleValue* state = v->state;
    std::unordered_set<QString> skip;
    if (const PickleValue* np = state->get("_non_persistent_buffers_set"))
        for (const PickleValue* x : np->items)
            if (x->isString()) skip.insert(QString::fromUtf8(x->text));
    for (const char* group : {"_parameters", "_buffers"}) {
        const PickleValue* d = state->get(group);
        if (!d || d->kind != Kind::Dict) continue;
        for (const auto& e : d->entries) {
            const QString key = pickleKeyText(e.first);
            if (e.second->kind == Kind::None || skip.count(key)) continue;
            if (!walk(e.second, join(path, key), depth + 1)) return false;
        }
    }
    const PickleValue* children = state->get("_modules");
    if (children && children->kind == Kind::Dict) return walkEntries(children, path, depth);
    return true;
}

bool Walker::walk(const PickleValue* v, const QString& path, int depth) {
    if (!v) return true;
    if (++m_visits > m_budget) {
        error = QStringLiteral("the object graph repeats too often to walk");
        return false;
    }
    if (path.size() > kMaxNameLength) {
        error = QStringLiteral("a tensor path grows longer than %1 characters").arg(kMaxNameLength);
        return false;
    }
    if (depth > kMaxDepth) {
        error =
            QStringLiteral("objects nested deeper than %1 levels at %2").arg(kMaxDepth).arg(path);
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
    if (v->kind == Kind::Object && isTensorObject(v)) return emitTensor(v, path);
    if (!m_onPath.insert(v).second) return true; // a cycle: already being walked
    bool ok = true;
    if (v->kind == Kind::Object) {
        const PickleValue* s = v->state;
        if (s && s->kind == Kind::Dict && (s->get("_parameters") || s->get("_modules"))) {
            ok = walkModule(v, path, depth);
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

} // namespace

bool parsePyTorchStorageRef(const PickleValue* pid, PyTorchStorageRef* out, QString* error) {
    if (!pid || pid->kind != Kind::Tuple || pid->items.size() < 5 || !pid->items[0]->isString() ||
        pid->items[0]->text != "storage") {
        *error = QStringLiteral("persistent id is not ('storage', class, key, location, numel)");
        return false;
    }
    const auto& a = pid->items;
    const QString cls = a[1]->qualifiedName();
    const auto dtype = storageClassDType(cls, &out->untyped);
    out->unsupportedClass = dtype ? QString() : cls;
    out->dtype = dtype ? *dtype : DType::UInt8;
    if (!a[2]->isString() && a[2]->kind != Kind::Int) {
        *error = QStringLiteral("storage key is not a string");
        return false;
    }
    out->key = pickleKeyText(a[2]);
    if (!intOf(a[4], &out->numel) || out->numel < 0 || out->numel > kMaxElements * 8) {
        *error = QStringLiteral("storage %1 has an invalid element count").arg(out->key);
        return false;
    }
    out->viewOffset = 0;
    if (a.size() >= 6 && a[5]->kind != Kind::None) {
        // legacy view metadata: (view_key, offset, view_size)
        const PickleValue* view = a[5];
        if (!view->isSequence() || view->items.size() < 3 ||
            !intOf(view->items[1], &out->viewOffset) || out->viewOffset < 0 ||
            out->viewOffset > out->numel) {
            *error = QStringLiteral("storage %1 has malformed view metadata").arg(out->key);
            return false;
        }
    }
    return true;
}

bool collectPyTorchTensors(const PickleValue* root, size_t valueCount,
                           const PyTorchStorageResolver& resolver, WeightFile* out,
                           QString* error) {
    Walker w(resolver, out, valueCount);
    if (!w.walk(root, QString(), 0)) {
        *error = w.error;
        return false;
    }
    w.finish();
    return true;
}

} // namespace ws
