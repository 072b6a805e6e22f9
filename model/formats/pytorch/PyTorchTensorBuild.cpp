// Builds tensors from parsed rebuild calls. A damaged tensor is still built, with
// what can be known of it and the reason it cannot be read, so that the rest of the
// file opens and a save keeps its record's bytes.
#include "PyTorchTensorBuild.h"
#include "PyTorchEncodings.h"

namespace ws {
namespace detail {

namespace {

/// Stride-0 views (expand) may repeat elements, but not without bound.
constexpr int64_t kMaxBroadcast = int64_t(1) << 28;

TensorPtr withProblem(TensorPtr t, const QString& problem) {
    t->problem = problem;
    // damaged tensors keep a storage so that nothing has to test for a missing one;
    // an empty key matches no record of the file
    if (!t->storage) t->storage = Storage::fromBytes(QByteArray(), QString());
    return t;
}

// A strided tensor (quantized ones too: then dtype is the quantized storage's
// integer type and the caller adds the encoding).
TensorPtr buildStrided(const TensorSpec& spec, const QString& name,
                       const PyTorchStorageResolver& resolver, bool* unsupported, QString* why) {
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->isParameter = spec.isParameter;
    t->shape = spec.size;
    t->strides = spec.stride;
    PyTorchStorageRef ref;
    QString problem;
    if (!parsePyTorchStorageRef(spec.pid, &ref, &problem))
        return withProblem(t, QStringLiteral("tensor %1: %2").arg(name, problem));
    if (!ref.unsupportedClass.isEmpty()) {
        *unsupported = true;
        *why = QStringLiteral("unsupported storage class %1").arg(ref.unsupportedClass);
        return nullptr;
    }
    t->dtype = spec.dtype ? *spec.dtype : ref.dtype;
    const bool quantized = spec.layout == TensorLayout::Quantized;
    if (ref.quantized != quantized)
        return withProblem(
            t,
            QStringLiteral("tensor %1: %2 storage %3 in a %4 tensor")
                .arg(name, ref.quantized ? QStringLiteral("quantized") : QStringLiteral("plain"),
                     ref.key, quantized ? QStringLiteral("quantized") : QStringLiteral("plain")));
    if (ref.untyped && !spec.dtype)
        return withProblem(t,
                           QStringLiteral("tensor %1: untyped storage without a dtype").arg(name));
    if (spec.offset < 0 || spec.offset > kMaxElements * 16)
        return withProblem(t, QStringLiteral("tensor %1: storage offset %2 is out of range")
                                  .arg(name)
                                  .arg(spec.offset));
    t->storageOffset = spec.offset + ref.viewOffset;
    t->storage = resolver(ref, &problem);
    if (!problem.isEmpty())
        return withProblem(t, QStringLiteral("tensor %1: %2").arg(name, problem));
    if (!t->storage)
        return withProblem(t,
                           QStringLiteral("tensor %1: storage %2 is missing").arg(name, ref.key));
    problem = t->validate();
    if (!problem.isEmpty()) return withProblem(t, problem);
    const int64_t storageElements = t->storage->byteSize() / dtypeSize(t->dtype);
    if (t->numel() > storageElements && t->numel() > kMaxBroadcast)
        return withProblem(t, QStringLiteral("tensor %1: a view of %2 elements over a storage "
                                             "of only %3")
                                  .arg(name)
                                  .arg(t->numel())
                                  .arg(storageElements));
    return t;
}

// A component tensor (per-channel scales, sparse indices or values): a plain strided
// tensor, or null with \a problem.
TensorPtr buildPart(const PickleValue* obj, const QString& name,
                    const PyTorchStorageResolver& resolver, QString* problem) {
    TensorSpec spec;
    bool unsupported = false;
    QString why;
    if (!parseTensorSpec(obj, &spec, &why, &unsupported) || spec.layout != TensorLayout::Strided) {
        *problem = QStringLiteral("%1 is not a plain tensor%2")
                       .arg(name, why.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(why));
        return nullptr;
    }
    TensorPtr t = buildStrided(spec, name, resolver, &unsupported, &why);
    if (!t) {
        *problem = QStringLiteral("%1: %2").arg(name, why);
        return nullptr;
    }
    if (!t->problem.isEmpty()) {
        *problem = t->problem;
        return nullptr;
    }
    return t;
}

// Per-channel tensors need each storage position to lie on exactly one channel.
bool nonOverlapping(const Tensor& t) {
    std::vector<size_t> dims;
    for (size_t d = 0; d < t.shape.size(); ++d)
        if (t.shape[d] > 1) dims.push_back(d);
    std::sort(dims.begin(), dims.end(),
              [&t](size_t a, size_t b) { return t.strides[a] > t.strides[b]; });
    for (size_t i = 0; i + 1 < dims.size(); ++i)
        if (t.strides[dims[i]] < t.strides[dims[i + 1]] * t.shape[dims[i + 1]]) return false;
    return dims.empty() || t.strides[dims.back()] >= 1;
}

TensorPtr buildQuantized(const TensorSpec& spec, const QString& name,
                         const PyTorchStorageResolver& resolver, bool* unsupported, QString* why) {
    TensorPtr t = buildStrided(spec, name, resolver, unsupported, why);
    if (!t || !t->problem.isEmpty()) return t;
    const DType qtype = t->dtype;
    const QuantizerSpec& q = spec.quantizer;
    std::shared_ptr<QuantizedEncoding> encoding;
    if (!q.perChannel) {
        encoding = std::make_shared<QuantizedEncoding>(qtype, q.scale, q.zeroPoint);
    } else {
        if (q.axis < 0 || q.axis >= t->rank())
            return withProblem(t,
                               QStringLiteral("tensor %1: per-channel axis %2 of a %3-dimensional "
                                              "tensor")
                                   .arg(name)
                                   .arg(q.axis)
                                   .arg(t->rank()));
        if (!nonOverlapping(*t))
            return withProblem(t, QStringLiteral("tensor %1: per-channel quantized view with "
                                                 "overlapping strides")
                                      .arg(name));
        QString problem;
        const TensorPtr scales =
            buildPart(q.scales, name + QStringLiteral(" scales"), resolver, &problem);
        const TensorPtr zeros =
            scales
                ? buildPart(q.zeroPoints, name + QStringLiteral(" zero points"), resolver, &problem)
                : nullptr;
        if (!scales || !zeros) return withProblem(t, problem);
        const int64_t channels = t->shape[size_t(q.axis)];
        if (scales->numel() != channels || zeros->numel() != channels)
            return withProblem(t, QStringLiteral("tensor %1: %2 channels along axis %3 but %4 "
                                                 "scales and %5 zero points")
                                      .arg(name)
                                      .arg(channels)
                                      .arg(q.axis)
                                      .arg(scales->numel())
                                      .arg(zeros->numel()));
        std::vector<double> scaleValues;
        std::vector<int64_t> zeroValues;
        if (!scales->valuesDouble(&scaleValues, &problem) ||
            !readIntegers(*zeros, &zeroValues, &problem))
            return withProblem(t, QStringLiteral("tensor %1: %2").arg(name, problem));
        encoding = std::make_shared<QuantizedEncoding>(qtype, int(q.axis), std::move(scaleValues),
                                                       std::move(zeroValues), *t);
    }
    t->dtype = DType::Float32;
    t->encoding = encoding;
    return t;
}

TensorPtr buildSparse(const TensorSpec& spec, const QString& name,
                      const PyTorchStorageResolver& resolver) {
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->isParameter = spec.isParameter;
    t->setContiguousShape(spec.size);
    const bool csr = spec.layout == TensorLayout::SparseCsr;
    static const char* cooNames[] = {"indices", "values"};
    static const char* csrNames[] = {"crow_indices", "col_indices", "values"};
    std::vector<TensorPtr> parts;
    for (size_t i = 0; i < spec.parts.size(); ++i) {
        QString problem;
        const QString part =
            name + QLatin1Char(' ') + QLatin1String(csr ? csrNames[i] : cooNames[i]);
        TensorPtr p = buildPart(spec.parts[i], part, resolver, &problem);
        if (!p) return withProblem(t, problem);
        const bool isValues = i + 1 == spec.parts.size();
        if (isValues ? (p->dtype == DType::Complex64 || p->dtype == DType::Complex128)
                     : (isFloatingPoint(p->dtype) || p->dtype == DType::Bool))
            return withProblem(t, QStringLiteral("tensor %1: sparse %2 of type %3 are not "
                                                 "supported")
                                      .arg(name, QLatin1String(csr ? csrNames[i] : cooNames[i]),
                                           dtypeName(p->dtype)));
        parts.push_back(std::move(p));
    }
    t->storage = parts.back()->storage;
    t->encoding = std::make_shared<SparseEncoding>(csr, std::move(parts), spec.size);
    const QString problem = t->validate();
    if (!problem.isEmpty()) {
        t->problem = problem;
        t->encoding.reset();
    }
    return t;
}

} // namespace

TensorPtr buildPyTorchTensor(const TensorSpec& spec, const QString& name,
                             const PyTorchStorageResolver& resolver, bool* unsupported,
                             QString* why) {
    switch (spec.layout) {
    case TensorLayout::Quantized:
        return buildQuantized(spec, name, resolver, unsupported, why);
    case TensorLayout::SparseCoo:
    case TensorLayout::SparseCsr:
        return buildSparse(spec, name, resolver);
    default:
        return buildStrided(spec, name, resolver, unsupported, why);
    }
}

} // namespace detail
} // namespace ws
