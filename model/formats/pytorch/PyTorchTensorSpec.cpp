// Recognises the calls that rebuild tensors in a PyTorch pickle: _rebuild_tensor
// (v2, v3), _rebuild_parameter, _rebuild_from_type_v2 around them, _rebuild_qtensor,
// _rebuild_sparse_tensor and _rebuild_sparse_csr_tensor. Only reads arguments.
#include "PyTorchTensorSpec.h"

namespace ws {
namespace detail {

using Kind = PickleValue::Kind;

namespace {

constexpr int kMaxDims = 64;

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
                   {"cdouble", DType::Complex128},
                   {"float8_e4m3fn", DType::Float8E4M3},
                   {"float8_e5m2", DType::Float8E5M2}};
    for (const auto& e : aliases)
        if (v->name == e.alias) return e.dtype;
    return dtypeFromName(QString::fromUtf8(v->name));
}

bool intTuple(const PickleValue* v, std::vector<int64_t>* out) {
    // torch.Size(tuple) pickles as a REDUCE of torch.Size on a 1-tuple holding the tuple
    if (v && v->kind == Kind::Object && v->qualifiedName() == QLatin1String("torch.Size") &&
        v->args && v->args->kind == Kind::Tuple && v->args->items.size() == 1)
        v = v->args->items[0];
    if (!v || !v->isSequence() || v->items.size() > size_t(kMaxDims)) return false;
    out->clear();
    for (const PickleValue* x : v->items) {
        int64_t i;
        if (!pickleInt(x, &i)) return false;
        out->push_back(i);
    }
    return true;
}

const std::vector<PickleValue*>& argsOf(const PickleValue* args) {
    static const std::vector<PickleValue*> none;
    return args && args->kind == Kind::Tuple ? args->items : none;
}

// _rebuild_qtensor(storage, offset, size, stride, quantizer_params, requires_grad, hooks)
bool quantizedSpec(const std::vector<PickleValue*>& a, TensorSpec* spec, QString* error,
                   bool* unsupported) {
    if (a.size() < 5 || a[0]->kind != Kind::PersistentId) {
        *error = QStringLiteral("_rebuild_qtensor with malformed arguments");
        return false;
    }
    spec->layout = TensorLayout::Quantized;
    spec->pid = a[0]->args;
    if (!pickleInt(a[1], &spec->offset) || !intTuple(a[2], &spec->size) ||
        !intTuple(a[3], &spec->stride)) {
        *error = QStringLiteral("quantized tensor offset, size or stride is malformed");
        return false;
    }
    const PickleValue* q = a[4];
    if (!q->isSequence() || q->items.empty()) {
        *error = QStringLiteral("quantizer parameters are not a tuple");
        return false;
    }
    const QString scheme = q->items[0]->qualifiedName();
    QuantizerSpec& s = spec->quantizer;
    if (scheme == QLatin1String("torch.per_tensor_affine")) {
        if (q->items.size() < 3 || q->items[1]->kind != Kind::Float ||
            !pickleInt(q->items[2], &s.zeroPoint)) {
            *error = QStringLiteral("per-tensor quantizer parameters are malformed");
            return false;
        }
        s.scale = q->items[1]->floatValue;
        return true;
    }
    if (scheme == QLatin1String("torch.per_channel_affine")) {
        if (q->items.size() < 4 || !isTensorObject(q->items[1]) || !isTensorObject(q->items[2]) ||
            !pickleInt(q->items[3], &s.axis)) {
            *error = QStringLiteral("per-channel quantizer parameters are malformed");
            return false;
        }
        s.perChannel = true;
        s.scales = q->items[1];
        s.zeroPoints = q->items[2];
        return true;
    }
    *error = QStringLiteral("unsupported quantization scheme %1").arg(scheme);
    *unsupported = true;
    return false;
}

// _rebuild_sparse_tensor(layout, (indices, values, size)) and
// _rebuild_sparse_csr_tensor(layout, (crow, col, values, size))
bool sparseSpec(const std::vector<PickleValue*>& a, bool csr, TensorSpec* spec, QString* error) {
    const size_t parts = csr ? 3 : 2;
    if (a.size() < 2 || !a[1]->isSequence() || a[1]->items.size() < parts + 1) {
        *error = QStringLiteral("sparse tensor with malformed arguments");
        return false;
    }
    spec->layout = csr ? TensorLayout::SparseCsr : TensorLayout::SparseCoo;
    const auto& d = a[1]->items;
    for (size_t i = 0; i < parts; ++i) {
        if (!isTensorObject(d[i])) {
            *error = QStringLiteral("sparse tensor component %1 is not a tensor").arg(i);
            return false;
        }
        spec->parts.push_back(d[i]);
    }
    if (!intTuple(d[parts], &spec->size)) {
        *error = QStringLiteral("sparse tensor size is malformed");
        return false;
    }
    return true;
}

bool parseSpec(const PickleValue* cls, const PickleValue* args, TensorSpec* spec, int depth,
               QString* error, bool* unsupported) {
    const QString q = cls ? cls->qualifiedName() : QString();
    const auto& a = argsOf(args);
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
        return parseSpec(a[0]->cls, a[0]->args, spec, depth + 1, error, unsupported);
    }
    if (q == QLatin1String("torch._tensor._rebuild_from_type_v2")) {
        // (func, new_type, args, state)
        if (a.size() < 3) {
            *error = QStringLiteral("_rebuild_from_type_v2 needs 3 arguments");
            return false;
        }
        if (a[1]->qualifiedName() == QLatin1String("torch.nn.parameter.Parameter"))
            spec->isParameter = true;
        return parseSpec(a[0], a[2], spec, depth + 1, error, unsupported);
    }
    if (q == QLatin1String("torch._utils._rebuild_qtensor"))
        return quantizedSpec(a, spec, error, unsupported);
    if (q == QLatin1String("torch._utils._rebuild_sparse_tensor"))
        return sparseSpec(a, false, spec, error);
    if (q == QLatin1String("torch._utils._rebuild_sparse_csr_tensor"))
        return sparseSpec(a, true, spec, error);
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
    if (!pickleInt(a[1], &spec->offset) || !intTuple(a[2], &spec->size) ||
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

} // namespace

bool pickleInt(const PickleValue* v, int64_t* out) {
    if (!v || v->elided) return false;
    if (v->kind == Kind::Int)
        *out = v->intValue;
    else if (v->kind == Kind::Bool)
        *out = v->boolValue;
    else
        return false;
    return true;
}

// Compares bytes: no allocation per visit.
bool isTensorObject(const PickleValue* v) {
    if (!v || v->kind != Kind::Object) return false;
    const PickleValue* c = v->cls;
    return c && c->kind == Kind::Global &&
           (c->text == "torch._utils" || c->text == "torch._tensor") &&
           c->name.startsWith("_rebuild_");
}

bool parseTensorSpec(const PickleValue* v, TensorSpec* spec, QString* error, bool* unsupported) {
    return parseSpec(v->cls, v->args, spec, 0, error, unsupported);
}

std::optional<DType> storageClassDType(const QString& qualifiedName, bool* untyped,
                                       bool* quantized) {
    *untyped = false;
    *quantized = false;
    QString name = qualifiedName;
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
        bool quantized;
    } table[] = {
        {"torch.HalfStorage", DType::Float16, false},
        {"torch.BFloat16Storage", DType::BFloat16, false},
        {"torch.FloatStorage", DType::Float32, false},
        {"torch.DoubleStorage", DType::Float64, false},
        {"torch.LongStorage", DType::Int64, false},
        {"torch.IntStorage", DType::Int32, false},
        {"torch.ShortStorage", DType::Int16, false},
        {"torch.CharStorage", DType::Int8, false},
        {"torch.ByteStorage", DType::UInt8, false},
        {"torch.BoolStorage", DType::Bool, false},
        {"torch.ComplexFloatStorage", DType::Complex64, false},
        {"torch.ComplexDoubleStorage", DType::Complex128, false},
        {"torch.QInt8Storage", DType::Int8, true},
        {"torch.QUInt8Storage", DType::UInt8, true},
        {"torch.QInt32Storage", DType::Int32, true},
    };
    for (const auto& e : table)
        if (name == QLatin1String(e.name)) {
            *quantized = e.quantized;
            return e.dtype;
        }
    return std::nullopt;
}

QString quantizedTypeName(DType storageType) {
    switch (storageType) {
    case DType::Int8:
        return QStringLiteral("qint8");
    case DType::UInt8:
        return QStringLiteral("quint8");
    default:
        return QStringLiteral("qint32");
    }
}

} // namespace detail
} // namespace ws
