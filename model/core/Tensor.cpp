// Strided tensor views over shared storages, with bounds checked before any read.
#include "Tensor.h"

#include "Parallel.h"

#include <QStringList>
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

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

int64_t Tensor::remoteBytes() const {
    if (!storage) return 0;
    const ByteSourcePtr source = storage->source();
    if (!source || !source->isRemote()) return 0;
    const int64_t stored = storage->byteSize();
    // A plain view reaches at most its own elements of a larger storage.
    return encoding ? stored : std::min<int64_t>(stored, numel() * dtypeSize(dtype));
}

bool Tensor::check(QString* error) const {
    if (!problem.isEmpty()) {
        // Readers give an unreadable tensor a storage whose reads fail with the whole
        // message (file, tensor, problem); the short problem is the fallback.
        if (storage && !storage->check(error)) return false;
        if (error) *error = problem;
        return false;
    }
    const QString problem2 = validate();
    if (!problem2.isEmpty()) {
        if (error) *error = problem2;
        return false;
    }
    return storage->check(error);
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

namespace {

/// Largest run of bytes read at once for a strided tensor's gather (bounds scratch).
constexpr int64_t kGatherBytes = int64_t(8) << 20;

/// Calls f(dstIndex, storageIndex, count, stride) for the runs along the innermost
/// dimension that cover logical elements [first, first + count) of \a t.
template <typename F> void forEachRun(const Tensor& t, int64_t first, int64_t count, F f) {
    const size_t r = t.shape.size();
    if (r == 0) {
        if (count > 0) f(int64_t(0), t.storageOffset, int64_t(1), int64_t(1));
        return;
    }
    const int64_t inner = t.shape[r - 1], innerStride = t.strides[r - 1];
    int64_t done = 0;
    while (done < count) {
        const int64_t i = first + done;
        const int64_t within = i % inner;
        const int64_t len = std::min(inner - within, count - done);
        f(done, t.storageIndex(i), len, innerStride);
        done += len;
    }
}

/// Reads logical elements of a plain tensor as raw stored bytes, packed, into \a out.
bool gatherBytes(const Tensor& t, int64_t first, int64_t count, char* out, QString* error) {
    const int64_t es = dtypeSize(t.dtype);
    if (t.isContiguous())
        return t.storage->readBytes((t.storageOffset + first) * es, count * es, out, error);
    // A strided view: read the span the runs cover when it is dense enough, else run by run.
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = -1;
    forEachRun(t, first, count, [&](int64_t, int64_t pos, int64_t len, int64_t stride) {
        lo = std::min(lo, pos);
        hi = std::max(hi, pos + (len - 1) * stride);
    });
    if (hi < lo) return true;
    const int64_t span = hi - lo + 1;
    if (span * es <= kGatherBytes && span <= 4 * count + 4096) {
        QByteArray buf(qsizetype(span * es), Qt::Uninitialized);
        if (!t.storage->readBytes(lo * es, span * es, buf.data(), error)) return false;
        const char* b = buf.constData();
        forEachRun(t, first, count, [&](int64_t at, int64_t pos, int64_t len, int64_t stride) {
            for (int64_t k = 0; k < len; ++k)
                std::memcpy(out + (at + k) * es, b + (pos - lo + k * stride) * es, size_t(es));
        });
        return true;
    }
    bool ok = true;
    forEachRun(t, first, count, [&](int64_t at, int64_t pos, int64_t len, int64_t stride) {
        if (!ok) return;
        if (stride == 1) {
            ok = t.storage->readBytes(pos * es, len * es, out + at * es, error);
            return;
        }
        for (int64_t k = 0; k < len && ok; ++k)
            ok = t.storage->readBytes((pos + k * stride) * es, es, out + (at + k) * es, error);
    });
    return ok;
}

template <typename D>
bool readValues(const Tensor& t, int64_t first, int64_t count, D* dst, QString* error,
                void (*convert)(const char*, DType, int64_t, D*)) {
    if (count <= 0) return true;
    if (first < 0 || count > t.numel() - first) {
        if (error)
            *error = QStringLiteral("tensor %1: elements %2+%3 lie outside its %4")
                         .arg(t.name)
                         .arg(first)
                         .arg(count)
                         .arg(t.numel());
        return false;
    }
    if (!t.problem.isEmpty()) return t.check(error);
    if (t.encoding) {
        if constexpr (std::is_same_v<D, float>) {
            return t.encoding->decode(t, first, count, dst, error);
        } else {
            // Decoded values are floats: widen them piece by piece.
            std::vector<float> tmp(size_t(std::min<int64_t>(count, 1 << 20)));
            for (int64_t done = 0; done < count;) {
                const int64_t n = std::min<int64_t>(int64_t(tmp.size()), count - done);
                if (!t.encoding->decode(t, first + done, n, tmp.data(), error)) return false;
                for (int64_t k = 0; k < n; ++k)
                    dst[done + k] = D(tmp[size_t(k)]);
                done += n;
            }
            return true;
        }
    }
    const int64_t es = dtypeSize(t.dtype);
    // Pieces of a few MB: the raw bytes of one piece are converted while warm in the cache.
    const int64_t piece = std::max<int64_t>(1, (int64_t(4) << 20) / es);
    std::vector<char> raw(size_t(std::min(count, piece) * es));
    for (int64_t done = 0; done < count;) {
        const int64_t n = std::min(piece, count - done);
        if (!gatherBytes(t, first + done, n, raw.data(), error)) return false;
        if (t.complexPart != ComplexPart::Real && isComplex(t.dtype))
            complexPartTo(raw.data(), t.dtype, n, t.complexPart, dst + done);
        else
            convert(raw.data(), t.dtype, n, dst + done);
        done += n;
    }
    return true;
}

} // namespace

bool Tensor::readFloats(int64_t first, int64_t count, float* dst, QString* error) const {
    return readValues<float>(*this, first, count, dst, error, &toFloats);
}

bool Tensor::readDoubles(int64_t first, int64_t count, double* dst, QString* error) const {
    return readValues<double>(*this, first, count, dst, error, &toDoubles);
}

bool Tensor::readStoredBytes(int64_t first, int64_t count, char* dst, QString* error) const {
    if (encoding || first < 0 || count < 0 || count > numel() - first) {
        if (error)
            *error = encoding ? QStringLiteral("tensor %1 is stored as %2: no plain elements")
                                    .arg(name, typeName())
                              : QStringLiteral("tensor %1: elements %2+%3 lie outside its %4")
                                    .arg(name)
                                    .arg(first)
                                    .arg(count)
                                    .arg(numel());
        return false;
    }
    if (!problem.isEmpty()) return check(error);
    return gatherBytes(*this, first, count, dst, error);
}

QString Tensor::elementText(int64_t i) const {
    if (encoding) {
        float v = 0;
        if (!readFloats(i, 1, &v, nullptr)) return QString();
        return ws::elementText(reinterpret_cast<const char*>(&v), DType::Float32);
    }
    char buf[16] = {};
    if (!readStoredBytes(i, 1, buf, nullptr)) return QString();
    return ws::elementText(buf, dtype);
}

double Tensor::at(int64_t i) const {
    double v = std::numeric_limits<double>::quiet_NaN();
    return readDoubles(i, 1, &v, nullptr) ? v : std::numeric_limits<double>::quiet_NaN();
}

bool Tensor::values(MatrixF* out, QString* error) const {
    if (!problem.isEmpty()) return check(error);
    const QString invalid = validate();
    if (!invalid.isEmpty()) {
        if (error) *error = invalid;
        return false;
    }
    out->resize(Eigen::Index(rows()), Eigen::Index(cols()));
    const int64_t n = numel();
    float* dst = out->data();
    adviseHugePages(dst, n * 4);
    // Large matrices are read in pieces on a few threads: most of the time goes to
    // faulting in the new buffer's pages, which the threads do side by side.
    const int64_t pieces = n * 4 >= (int64_t(16) << 20) ? threadsFor(n) : 1;
    return runParts(
        pieces, int(pieces),
        [&](int, int64_t first, int64_t end, QString* err) {
            for (int64_t k = first; k < end; ++k) {
                const int64_t b = k * n / pieces, e = (k + 1) * n / pieces;
                if (!readFloats(b, e - b, dst + b, err)) return false;
            }
            return true;
        },
        error);
}

bool Tensor::valuesDouble(std::vector<double>* out, QString* error) const {
    if (!problem.isEmpty()) return check(error);
    const QString invalid = validate();
    if (!invalid.isEmpty()) {
        if (error) *error = invalid;
        return false;
    }
    out->resize(size_t(numel()));
    return readDoubles(0, numel(), out->data(), error);
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
            if (!source->check(error)) return false;
            bytes.resize(qsizetype(n * 4));
            return source->readFloats(0, n, reinterpret_cast<float*>(bytes.data()), error);
        },
        (t.problem.isEmpty() && n <= kMaxElements ? n : 0) * 4, t.name);
    return out;
}

} // namespace ws
