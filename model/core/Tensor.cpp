// Strided tensor views over shared storages, with bounds checked before any read.
#include "Tensor.h"

#include "Parallel.h"

#include <QStringList>
#include <cmath>
#include <cstring>

namespace ws {

void Tensor::setContiguousShape(std::vector<int64_t> newShape) {
    shape = std::move(newShape);
    strides.assign(shape.size(), 1);
    int64_t s = 1;
    for (int i = int(shape.size()) - 1; i >= 0; --i) {
        strides[size_t(i)] = s;
        s *= std::max<int64_t>(shape[size_t(i)], 1);
    }
}

int64_t Tensor::numel() const {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0) return 0;
        if (d != 0 && n > kMaxElements / d) return kMaxElements + 1;
        n *= d;
    }
    return n;
}

bool Tensor::isContiguous() const {
    int64_t s = 1;
    for (int i = int(shape.size()) - 1; i >= 0; --i) {
        if (shape[size_t(i)] != 1 && strides[size_t(i)] != s) return false;
        s *= shape[size_t(i)];
    }
    return true;
}

QString Tensor::shapeString() const {
    QStringList parts;
    for (int64_t d : shape)
        parts << QString::number(d);
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

QString Tensor::typeName() const {
    return encoding ? encoding->typeName() : dtypeName(dtype);
}

int64_t Tensor::rows() const {
    return shape.size() >= 2 ? shape[0] : 1;
}

int64_t Tensor::cols() const {
    if (shape.empty()) return 1;
    if (shape.size() == 1) return shape[0];
    int64_t n = 1;
    for (size_t i = 1; i < shape.size(); ++i)
        n *= shape[i];
    return n;
}

QString Tensor::validate() const {
    if (!problem.isEmpty()) return problem;
    if (!storage) return QStringLiteral("tensor %1: no storage").arg(name);
    if (encoding) {
        if (strides.size() != shape.size())
            return QStringLiteral("tensor %1: %2 dimensions but %3 strides")
                .arg(name)
                .arg(shape.size())
                .arg(strides.size());
        return encoding->validate(*this);
    }
    return validateReach(storage->byteSize() / dtypeSize(dtype));
}

QString Tensor::validateReach(int64_t storageElements) const {
    if (strides.size() != shape.size())
        return QStringLiteral("tensor %1: %2 dimensions but %3 strides")
            .arg(name)
            .arg(shape.size())
            .arg(strides.size());
    for (int64_t d : shape)
        if (d < 0) return QStringLiteral("tensor %1: negative dimension %2").arg(name).arg(d);
    int64_t n = numel();
    if (n > kMaxElements)
        return QStringLiteral("tensor %1: absurd shape %2").arg(name, shapeString());
    if (storageOffset < 0) return QStringLiteral("tensor %1: negative storage offset").arg(name);
    if (n == 0) return QString();
    // Highest element the view reaches; overflow-safe because every dim <= 2^40.
    int64_t reach = storageOffset;
    if (reach >= storageElements) // also covers 0-D tensors, which have no dims to loop over
        return QStringLiteral("tensor %1: storage offset %2 lies past the storage of %3 elements")
            .arg(name)
            .arg(storageOffset)
            .arg(storageElements);
    for (size_t i = 0; i < shape.size(); ++i) {
        if (strides[i] < 0) return QStringLiteral("tensor %1: negative stride").arg(name);
        if (shape[i] > 1 && strides[i] > (kMaxElements * 16) / shape[i])
            return QStringLiteral("tensor %1: stride %2 reaches past the storage")
                .arg(name)
                .arg(strides[i]);
        reach += (shape[i] - 1) * strides[i];
        if (reach >= storageElements)
            return QStringLiteral("tensor %1: shape %2 with strides and offset %3 reaches "
                                  "element %4 past the storage of %5 elements")
                .arg(name, shapeString())
                .arg(storageOffset)
                .arg(reach)
                .arg(storageElements);
    }
    return QString();
}

bool Tensor::load(QString* error) const {
    QString problem = validate();
    if (!problem.isEmpty()) {
        if (error) *error = problem;
        return false;
    }
    return storage->load(error);
}

int64_t Tensor::storageIndex(int64_t i) const {
    int64_t idx = storageOffset;
    for (int d = int(shape.size()) - 1; d >= 0; --d) {
        int64_t dim = shape[size_t(d)];
        idx += (i % dim) * strides[size_t(d)];
        i /= dim;
    }
    return idx;
}

double Tensor::at(int64_t i) const {
    if (encoding) {
        float v = 0;
        QString error;
        return encoding->decode(*this, i, 1, &v, &error) ? double(v) : std::nan("");
    }
    const int es = dtypeSize(dtype);
    return readElement(storage->data() + storageIndex(i) * es, dtype);
}

namespace {

// Calls f(flatIndex, storageIndex) for every element in C order, walking the
// strides with a counter instead of dividing per element.
template <typename F> void forEachElement(const Tensor& t, F f) {
    const int64_t n = t.numel();
    if (n == 0) return;
    const size_t r = t.shape.size();
    if (r == 0 || t.isContiguous()) {
        for (int64_t i = 0; i < n; ++i)
            f(i, t.storageOffset + i);
        return;
    }
    std::vector<int64_t> idx(r, 0);
    int64_t pos = t.storageOffset;
    const int64_t inner = t.shape[r - 1], innerStride = t.strides[r - 1];
    for (int64_t i = 0; i < n;) {
        int64_t p = pos;
        for (int64_t k = 0; k < inner; ++k, ++i, p += innerStride)
            f(i, p);
        // advance the outer counters
        for (int d = int(r) - 2; d >= 0; --d) {
            size_t du = size_t(d);
            ++idx[du];
            pos += t.strides[du];
            if (idx[du] < t.shape[du]) break;
            pos -= idx[du] * t.strides[du];
            idx[du] = 0;
        }
    }
}

// Decodes an encoded tensor's elements [0, n) into \a dst, in pieces on a few threads
// for large tensors (encodings are thread-safe).
bool decodeAll(const Tensor& t, float* dst, QString* error) {
    const int64_t n = t.numel();
    const int64_t pieces = n >= (int64_t(1) << 22) ? threadsFor(n) : 1;
    return runParts(
        pieces, int(pieces),
        [&](int, int64_t first, int64_t end, QString* err) {
            for (int64_t k = first; k < end; ++k) {
                const int64_t b = k * n / pieces, e = (k + 1) * n / pieces;
                if (e > b && !t.encoding->decode(t, b, e - b, dst + b, err)) return false;
            }
            return true;
        },
        error);
}

bool failWith(const QString& problem, QString* error) {
    if (error) *error = problem;
    return false;
}

} // namespace

bool Tensor::values(MatrixF* out, QString* error) const {
    if (encoding) {
        const QString problem = validate();
        if (!problem.isEmpty()) return failWith(problem, error);
        out->resize(Eigen::Index(rows()), Eigen::Index(cols()));
        return decodeAll(*this, out->data(), error);
    }
    // float32, and float16/bfloat16 still in the file: straight into the matrix (the
    // storage stays unloaded), 2-byte values widened in place.
    const bool half = dtype == DType::Float16 || dtype == DType::BFloat16;
    if ((dtype == DType::Float32 || (half && storage && !storage->isLoaded())) &&
        (shape.empty() || isContiguous())) {
        const QString problem = validate();
        if (!problem.isEmpty()) {
            if (error) *error = problem;
            return false;
        }
        out->resize(Eigen::Index(rows()), Eigen::Index(cols()));
        float* dst = out->data();
        const int64_t n = numel(), es = dtypeSize(dtype);
        adviseHugePages(dst, n * 4);
        // Large matrices are read in pieces on a few threads: most of the time goes to
        // faulting in the new buffer's pages, which the threads do side by side.
        const int64_t pieces = n * 4 >= (int64_t(16) << 20) ? threadsFor(n) : 1;
        return runParts(
            pieces, int(pieces),
            [&](int, int64_t first, int64_t end, QString* err) {
                for (int64_t k = first; k < end; ++k) {
                    const int64_t b = k * n / pieces, e = (k + 1) * n / pieces;
                    char* at = reinterpret_cast<char*>(dst + b);
                    if (!storage->readBytes((storageOffset + b) * es, (e - b) * es, at, err))
                        return false;
                    if (half) widenToFloatInPlace(at, e - b, dtype);
                }
                return true;
            },
            error);
    }
    if (!load(error)) return false;
    out->resize(Eigen::Index(rows()), Eigen::Index(cols()));
    float* dst = out->data();
    const char* src = storage->data();
    const int es = dtypeSize(dtype);
    const DType t = dtype;
    forEachElement(*this,
                   [&](int64_t i, int64_t s) { dst[i] = float(readElement(src + s * es, t)); });
    return true;
}

bool Tensor::valuesDouble(std::vector<double>* out, QString* error) const {
    if (encoding) {
        const QString problem = validate();
        if (!problem.isEmpty()) return failWith(problem, error);
        std::vector<float> decoded(static_cast<size_t>(numel()));
        if (!decodeAll(*this, decoded.data(), error)) return false;
        out->assign(decoded.begin(), decoded.end());
        return true;
    }
    if (!load(error)) return false;
    out->resize(size_t(numel()));
    const char* src = storage->data();
    const int es = dtypeSize(dtype);
    const DType t = dtype;
    double* dst = out->data();
    forEachElement(*this, [&](int64_t i, int64_t s) { dst[i] = readElement(src + s * es, t); });
    return true;
}

TensorPtr decodedTensor(const Tensor& t) {
    auto out = std::make_shared<Tensor>();
    out->name = t.name;
    out->dtype = DType::Float32;
    out->isParameter = t.isParameter;
    out->inputMajor = t.inputMajor;
    out->problem = t.problem;
    out->setContiguousShape(t.shape);
    const int64_t n = t.numel();
    auto source = std::make_shared<Tensor>(t);
    out->storage = Storage::fromLoader(
        [source, n](QByteArray& bytes, QString* error) {
            const QString problem = source->validate();
            if (!problem.isEmpty()) return failWith(problem, error);
            bytes.resize(qsizetype(n * 4));
            return decodeAll(*source, reinterpret_cast<float*>(bytes.data()), error);
        },
        (t.problem.isEmpty() && n <= kMaxElements ? n : 0) * 4, t.name);
    return out;
}

} // namespace ws
