// Gathers a tensor's elements in C order and writes them as .npy or CSV,
// through QSaveFile so a failed export never leaves a half-written file.
#include "NpyExport.h"
#include "AtomicSave.h"

#include <QSaveFile>
#include <QStringList>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ws {

namespace {

/// Elements read at once (a few MB of stored bytes, then their text or widened floats).
constexpr int64_t kPieceElements = int64_t(1) << 19;

/// Calls f(bytes, first, count) with the stored bytes of logical elements [first,
/// first + count) of \a t, in C order, piece by piece (edits included).
template <typename F> bool forEachPiece(const Tensor& t, QString* error, F f) {
    const int64_t n = t.numel(), es = dtypeSize(t.dtype);
    std::vector<char> buf(size_t(std::min(n, kPieceElements) * es));
    for (int64_t done = 0; done < n;) {
        const int64_t k = std::min(kPieceElements, n - done);
        if (!t.readStoredBytes(done, k, buf.data(), error)) return false;
        f(buf.data(), done, k);
        done += k;
    }
    return true;
}

/// The same with values as floats (bfloat16, float8, encoded tensors).
template <typename F> bool forEachFloatPiece(const Tensor& t, QString* error, F f) {
    const int64_t n = t.numel();
    std::vector<float> buf(size_t(std::min(n, kPieceElements)));
    for (int64_t done = 0; done < n;) {
        const int64_t k = std::min(kPieceElements, n - done);
        if (!t.readFloats(done, k, buf.data(), error)) return false;
        f(buf.data(), done, k);
        done += k;
    }
    return true;
}

bool widensToFloat(DType t) {
    return t == DType::BFloat16 || t == DType::Float8E4M3 || t == DType::Float8E5M2;
}

QByteArray npyHeader(const Tensor& t) {
    QStringList dims;
    for (int64_t d : t.shape)
        dims << QString::number(d);
    QString shape = dims.join(QLatin1String(", "));
    if (t.shape.size() == 1) shape += QLatin1Char(',');
    QByteArray dict = QStringLiteral("{'descr': '%1', 'fortran_order': False, 'shape': (%2), }")
                          .arg(t.encoding ? QStringLiteral("<f4") : npyDescr(t.dtype), shape)
                          .toLatin1();
    const int prefix = 10; // magic, version, u16 length
    const int total = int((prefix + dict.size() + 1 + 63) / 64 * 64);
    dict += QByteArray(total - prefix - dict.size() - 1, ' ');
    dict += '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    out += char(dict.size() & 0xff);
    out += char((dict.size() >> 8) & 0xff);
    return out + dict;
}

bool openTarget(QSaveFile& file, const QString& path, QString* error) {
    if (file.open(QIODevice::WriteOnly)) return true;
    if (error) *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
    return false;
}

bool finish(QSaveFile& file, const QString& path, QString* error) {
    return commitSaveFile(file, path, error);
}

bool loadTensor(const Tensor& t, const QString& path, QString* error) {
    QString problem;
    if (t.check(&problem)) return true;
    if (error)
        *error = QStringLiteral("%1: cannot export tensor %2: %3").arg(path, t.name, problem);
    return false;
}

// Calls f(values, n) with an encoded tensor's decoded values in C order, a block at a time.
template <typename F> bool forDecoded(const Tensor& t, QString* error, F f) {
    constexpr int64_t kBlock = int64_t(1) << 20;
    std::vector<float> buf;
    const int64_t n = t.numel();
    for (int64_t first = 0; first < n; first += kBlock) {
        const int64_t count = std::min(kBlock, n - first);
        buf.resize(size_t(count));
        if (!t.encoding->decode(t, first, count, buf.data(), error)) return false;
        f(buf.data(), count);
    }
    return true;
}

// Appends text to a buffer and flushes it to the file in large blocks.
class ChunkWriter {
public:
    explicit ChunkWriter(QSaveFile& f) : m_file(f) { m_buf.reserve(kChunk + 256); }
    void append(const char* p, qsizetype n) {
        m_buf.append(p, n);
        if (m_buf.size() >= kChunk) flush();
    }
    bool flush() {
        if (!m_buf.isEmpty() && m_file.write(m_buf) != m_buf.size()) m_ok = false;
        m_buf.clear();
        return m_ok;
    }

private:
    static constexpr qsizetype kChunk = 1 << 20;
    QSaveFile& m_file;
    QByteArray m_buf;
    bool m_ok = true;
};

int formatElement(char* out, size_t cap, const char* p, DType t) {
    switch (t) {
    case DType::Float64: {
        double v;
        std::memcpy(&v, p, 8);
        return std::snprintf(out, cap, "%.17g", v);
    }
    case DType::Int64: {
        long long v;
        std::memcpy(&v, p, 8);
        return std::snprintf(out, cap, "%lld", v);
    }
    case DType::UInt64: {
        unsigned long long v;
        std::memcpy(&v, p, 8);
        return std::snprintf(out, cap, "%llu", v);
    }
    case DType::Int32:
    case DType::Int16:
    case DType::Int8:
    case DType::UInt8:
    case DType::Bool:
    case DType::UInt16:
    case DType::UInt32:
        return std::snprintf(out, cap, "%lld", static_cast<long long>(readElement(p, t)));
    case DType::Complex64: {
        float re, im;
        std::memcpy(&re, p, 4);
        std::memcpy(&im, p + 4, 4);
        return std::snprintf(out, cap, "%.9g%+.9gj", double(re), double(im));
    }
    case DType::Complex128: {
        double re, im;
        std::memcpy(&re, p, 8);
        std::memcpy(&im, p + 8, 8);
        return std::snprintf(out, cap, "%.17g%+.17gj", re, im);
    }
    default:
        return std::snprintf(out, cap, "%.9g", double(float(readElement(p, t))));
    }
}

} // namespace

QString npyDescr(DType t) {
    switch (t) {
    case DType::Float32:
    case DType::BFloat16:
    case DType::Float8E4M3:
    case DType::Float8E5M2:
        return QStringLiteral("<f4");
    case DType::Float16:
        return QStringLiteral("<f2");
    case DType::Float64:
        return QStringLiteral("<f8");
    case DType::Int64:
        return QStringLiteral("<i8");
    case DType::Int32:
        return QStringLiteral("<i4");
    case DType::Int16:
        return QStringLiteral("<i2");
    case DType::Int8:
        return QStringLiteral("|i1");
    case DType::UInt8:
        return QStringLiteral("|u1");
    case DType::Bool:
        return QStringLiteral("|b1");
    case DType::UInt16:
        return QStringLiteral("<u2");
    case DType::UInt32:
        return QStringLiteral("<u4");
    case DType::UInt64:
        return QStringLiteral("<u8");
    case DType::Complex64:
        return QStringLiteral("<c8");
    case DType::Complex128:
        return QStringLiteral("<c16");
    }
    return QStringLiteral("<f4");
}

bool writeNpy(const Tensor& t, const QString& path, QString* error) {
    if (!loadTensor(t, path, error)) return false;
    QSaveFile file(path);
    if (!openTarget(file, path, error)) return false;
    ChunkWriter out(file);
    const QByteArray header = npyHeader(t);
    out.append(header.constData(), header.size());
    const DType type = t.dtype;
    const int64_t es = dtypeSize(type);
    QString readError;
    bool read = true;
    if (t.encoding || widensToFloat(type)) {
        read = forEachFloatPiece(t, &readError, [&](const float* v, int64_t, int64_t k) {
            out.append(reinterpret_cast<const char*>(v), qsizetype(k * 4));
        });
    } else if (type == DType::Bool) {
        read = forEachPiece(t, &readError, [&](char* b, int64_t, int64_t k) {
            for (int64_t i = 0; i < k; ++i)
                b[i] = b[i] ? 1 : 0;
            out.append(b, qsizetype(k));
        });
    } else {
        read = forEachPiece(t, &readError, [&](const char* b, int64_t, int64_t k) {
            out.append(b, qsizetype(k * es));
        });
    }
    if (!read) {
        file.cancelWriting();
        if (error)
            *error = QStringLiteral("%1: cannot export tensor %2: %3").arg(path, t.name, readError);
        return false;
    }
    if (!out.flush()) {
        file.cancelWriting();
        if (error) *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
        return false;
    }
    return finish(file, path, error);
}

bool writeCsv(const Tensor& t, const QString& path, QString* error) {
    if (!loadTensor(t, path, error)) return false;
    QSaveFile file(path);
    if (!openTarget(file, path, error)) return false;
    ChunkWriter out(file);
    const int64_t es = dtypeSize(t.dtype);
    const int64_t cols = t.cols();
    const int64_t n = t.numel();
    char buf[96];
    auto putValue = [&](int len, int64_t i) {
        out.append(buf, std::min<int>(len, int(sizeof buf) - 1));
        const char sep = (cols > 0 && (i + 1) % cols == 0) || i + 1 == n ? '\n' : ',';
        out.append(&sep, 1);
    };
    QString readError;
    const bool read =
        t.encoding
            ? forEachFloatPiece(
                  t, &readError,
                  [&](const float* v, int64_t first, int64_t k) {
                      for (int64_t j = 0; j < k; ++j)
                          putValue(std::snprintf(buf, sizeof buf, "%.9g", double(v[j])), first + j);
                  })
            : forEachPiece(t, &readError, [&](const char* b, int64_t first, int64_t k) {
                  for (int64_t j = 0; j < k; ++j)
                      putValue(formatElement(buf, sizeof buf, b + j * es, t.dtype), first + j);
              });
    if (!read) {
        file.cancelWriting();
        if (error)
            *error = QStringLiteral("%1: cannot export tensor %2: %3").arg(path, t.name, readError);
        return false;
    }
    if (!out.flush()) {
        file.cancelWriting();
        if (error) *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
        return false;
    }
    return finish(file, path, error);
}

} // namespace ws
