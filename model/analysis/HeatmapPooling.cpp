// Max-magnitude pooling and range finding over matrices in memory or in files.
#include "HeatmapPooling.h"

#include "Parallel.h"

#include <QFile>
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <unistd.h>

namespace ws {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
/// Columns pooled at once: bounds the per-column scratch arrays for very wide matrices.
constexpr int64_t kChunkCols = int64_t(1) << 16;

class MemorySource : public MatrixSource {
public:
    MemorySource(const MatrixF* m, std::shared_ptr<const MatrixF> owner)
        : MatrixSource(m->rows(), m->cols()), m_m(m), m_owner(std::move(owner)) {}
    const float* tile(int64_t row0, int64_t, int64_t col0, int64_t, std::vector<float>*,
                      int64_t* stride, QString*) const override {
        *stride = cols();
        return m_m->data() + row0 * cols() + col0;
    }
    int64_t tileLimit() const override { return std::numeric_limits<int64_t>::max(); }

private:
    const MatrixF* m_m;
    std::shared_ptr<const MatrixF> m_owner;
};

/// Reads tiles with pread: no seek state, so the threads share one descriptor.
/// float32 as it is; float16 and bfloat16 widened to float in place.
class FileSource : public MatrixSource {
public:
    FileSource(int64_t rows, int64_t cols, const QString& path, qint64 base, DType dtype)
        : MatrixSource(rows, cols), m_file(path), m_base(base), m_dtype(dtype),
          m_size(dtypeSize(dtype)) {}
    bool open() { return m_file.open(QIODevice::ReadOnly | QIODevice::Unbuffered); }
    qint64 fileSize() const { return m_file.size(); }

    const float* tile(int64_t row0, int64_t nRows, int64_t col0, int64_t nCols,
                      std::vector<float>* buffer, int64_t* stride, QString* error) const override {
        const size_t need = size_t(nRows * nCols);
        if (buffer->size() < need) buffer->resize(need);
        *stride = nCols;
        char* dst = reinterpret_cast<char*>(buffer->data());
        if (nCols == cols()) {
            if (!readAt(row0 * cols(), need, dst, error)) return nullptr;
        } else {
            for (int64_t r = 0; r < nRows; ++r)
                if (!readAt((row0 + r) * cols() + col0, size_t(nCols), dst + r * nCols * m_size,
                            error))
                    return nullptr;
        }
        widen(buffer->data(), need);
        return buffer->data();
    }
    // 2 MB: a tile stays in the cache between reading and pooling.
    int64_t tileLimit() const override { return int64_t(1) << 19; }

private:
    void widen(float* out, size_t n) const {
        if (m_dtype != DType::Float32) widenToFloatInPlace(out, int64_t(n), m_dtype);
    }

    bool readAt(int64_t element, size_t count, char* dst, QString* error) const {
        const int fd = m_file.handle();
        qint64 pos = m_base + element * m_size;
        size_t left = count * size_t(m_size);
        while (left > 0) {
            const ssize_t got = ::pread(fd, dst, left, off_t(pos));
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                if (error)
                    *error = got == 0 ? QStringLiteral("%1: the file ends at %2 bytes, before "
                                                       "the tensor's data")
                                            .arg(m_file.fileName())
                                            .arg(pos)
                                      : QStringLiteral("%1: cannot read: %2")
                                            .arg(m_file.fileName(), qt_error_string(errno));
                return false;
            }
            dst += got;
            pos += got;
            left -= size_t(got);
        }
        return true;
    }

    QFile m_file;
    qint64 m_base;
    DType m_dtype;
    int m_size;
};

} // namespace

bool MatrixSource::forEachTile(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                               const std::function<void(const Tile&)>& fn, QString* error) const {
    const int64_t R = rows(), C = cols();
    row0 = std::clamp<int64_t>(row0, 0, R);
    col0 = std::clamp<int64_t>(col0, 0, C);
    nRows = std::clamp<int64_t>(nRows, 0, R - row0);
    nCols = std::clamp<int64_t>(nCols, 0, C - col0);
    if (nRows == 0 || nCols == 0) return true;
    const int64_t chunkCols = std::min(nCols, std::max<int64_t>(1, tileLimit()));
    const int64_t rowsPerTile = std::max<int64_t>(1, tileLimit() / chunkCols);
    std::vector<float> buffer;
    for (int64_t ca = 0; ca < nCols; ca += chunkCols) {
        const int64_t w = std::min(chunkCols, nCols - ca);
        for (int64_t ra = 0, h = 0; ra < nRows; ra += h) {
            h = std::min(rowsPerTile, nRows - ra);
            int64_t stride = 0;
            const float* p = tile(row0 + ra, h, col0 + ca, w, &buffer, &stride, error);
            if (!p) return false;
            fn(Tile{p, row0 + ra, h, col0 + ca, w, stride});
        }
    }
    return true;
}

bool MatrixSource::finiteMinMax(double* lo, double* hi, QString* error) const {
    *lo = *hi = 0;
    const int64_t R = rows(), C = cols();
    if (R <= 0 || C <= 0) return true;
    const int threads = threadsFor(R * C);
    std::vector<float> mins(static_cast<size_t>(threads), kInf), maxs(size_t(threads), -kInf);
    const auto work = [&](int part, int64_t rb, int64_t re, QString* err) {
        // Four SIMD lanes (GCC/Clang vector extensions: the compiler will not vectorise
        // a float min/max reduction itself). A NaN never wins a comparison; NaN and inf
        // set a flag (v - v is NaN for both), and a row with one is scanned again keeping
        // finite values only.
        using V = float __attribute__((vector_size(16)));
        using M = int __attribute__((vector_size(16)));
        V mnv = {kInf, kInf, kInf, kInf}, mxv = -mnv;
        float mn = kInf, mx = -kInf;
        const auto scan = [&](const Tile& t) {
            for (int64_t i = 0; i < t.nRows; ++i) {
                const float* row = t.data + i * t.stride;
                V rmn[2] = {mnv, mnv}, rmx[2] = {mxv, mxv};
                M bad = {0, 0, 0, 0};
                int64_t c = 0;
                for (; c + 8 <= t.nCols; c += 8)
                    for (int k = 0; k < 2; ++k) {
                        V v;
                        std::memcpy(&v, row + c + 4 * k, sizeof v);
                        rmn[k] = v < rmn[k] ? v : rmn[k];
                        rmx[k] = v > rmx[k] ? v : rmx[k];
                        const V z = v - v;
                        bad |= z != z;
                    }
                if (bad[0] | bad[1] | bad[2] | bad[3]) {
                    c = 0; // the whole row, carefully
                } else {
                    mnv = rmn[0] < rmn[1] ? rmn[0] : rmn[1];
                    mxv = rmx[0] > rmx[1] ? rmx[0] : rmx[1];
                }
                for (; c < t.nCols; ++c) {
                    const float v = row[c];
                    const bool finite = std::fabs(v) <= FLT_MAX; // false for NaN and inf
                    mn = finite && v < mn ? v : mn;
                    mx = finite && v > mx ? v : mx;
                }
            }
        };
        if (!forEachTile(rb, 0, re - rb, C, scan, err)) return false;
        for (int j = 0; j < 4; ++j) {
            mn = std::min(mn, mnv[j]);
            mx = std::max(mx, mxv[j]);
        }
        mins[size_t(part)] = mn;
        maxs[size_t(part)] = mx;
        return true;
    };
    if (!runParts(R, threads, work, error)) return false;
    const float mn = *std::min_element(mins.begin(), mins.end());
    const float mx = *std::max_element(maxs.begin(), maxs.end());
    if (mn <= mx) {
        *lo = mn;
        *hi = mx;
    }
    return true;
}

bool MatrixSource::pool(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols, int maxRows,
                        int maxCols, PooledGrid* out, QString* error) const {
    PooledGrid& g = *out;
    g = PooledGrid();
    const int64_t R = rows(), C = cols();
    row0 = std::clamp<int64_t>(row0, 0, R);
    col0 = std::clamp<int64_t>(col0, 0, C);
    nRows = std::clamp<int64_t>(nRows, 0, R - row0);
    nCols = std::clamp<int64_t>(nCols, 0, C - col0);
    maxRows = std::max(1, maxRows);
    maxCols = std::max(1, maxCols);
    g.rowStart = row0;
    g.colStart = col0;
    g.rowCount = nRows;
    g.colCount = nCols;
    if (nRows == 0 || nCols == 0) return true;
    const int64_t outR = std::min<int64_t>(nRows, maxRows);
    const int64_t outC = std::min<int64_t>(nCols, maxCols);
    g.exact = outR == nRows && outC == nCols;
    g.values.resize(Eigen::Index(outR), Eigen::Index(outC));
    std::vector<int64_t> colEdge(static_cast<size_t>(outC) + 1);
    for (int64_t c = 0; c <= outC; ++c)
        colEdge[size_t(c)] = c * nCols / outC;
    const int64_t chunkCols = std::min({nCols, kChunkCols, std::max<int64_t>(1, tileLimit())});
    const int64_t rowsPerTile = std::max<int64_t>(1, tileLimit() / chunkCols);

    // For each block of rows, keep per column the largest and smallest value and
    // whether a NaN was seen, in contiguous loops the compiler vectorises; then
    // fold the columns into blocks and pick the value of larger magnitude.
    const auto work = [&](int, int64_t rFirst, int64_t rEnd, QString* err) {
        std::vector<float> hi(static_cast<size_t>(chunkCols)), lo(static_cast<size_t>(chunkCols)),
            buffer;
        std::vector<unsigned char> nan(static_cast<size_t>(chunkCols));
        std::vector<float> bh(static_cast<size_t>(outC)), bl(static_cast<size_t>(outC));
        std::vector<unsigned char> bn(static_cast<size_t>(outC));
        for (int64_t r = rFirst; r < rEnd; ++r) {
            const int64_t rb = row0 + r * nRows / outR, re = row0 + (r + 1) * nRows / outR;
            std::fill(bh.begin(), bh.end(), -kInf);
            std::fill(bl.begin(), bl.end(), kInf);
            std::fill(bn.begin(), bn.end(), 0);
            for (int64_t ca = 0; ca < nCols; ca += chunkCols) {
                const int64_t w = std::min(chunkCols, nCols - ca);
                float* h = hi.data();
                float* l = lo.data();
                unsigned char* n = nan.data();
                std::fill(h, h + w, -kInf);
                std::fill(l, l + w, kInf);
                std::fill(n, n + w, 0);
                for (int64_t ra = rb, th = 0; ra < re; ra += th) {
                    th = std::min(rowsPerTile, re - ra);
                    int64_t stride = 0;
                    const float* p = tile(ra, th, col0 + ca, w, &buffer, &stride, err);
                    if (!p) return false;
                    for (int64_t i = 0; i < th; ++i) {
                        const float* row = p + i * stride;
                        for (int64_t c = 0; c < w; ++c) {
                            const float v = row[c];
                            h[c] = v > h[c] ? v : h[c];
                            l[c] = v < l[c] ? v : l[c];
                            n[c] |= static_cast<unsigned char>(v != v);
                        }
                    }
                }
                // Fold columns [ca, ca + w) into the blocks they belong to.
                int64_t c = int64_t(std::upper_bound(colEdge.begin(), colEdge.end(), ca) -
                                    colEdge.begin()) -
                            1;
                for (; c < outC && colEdge[size_t(c)] < ca + w; ++c) {
                    const int64_t k0 = std::max(colEdge[size_t(c)], ca);
                    const int64_t k1 = std::min(colEdge[size_t(c) + 1], ca + w);
                    for (int64_t k = k0 - ca; k < k1 - ca; ++k) {
                        bh[size_t(c)] = std::max(bh[size_t(c)], h[k]);
                        bl[size_t(c)] = std::min(bl[size_t(c)], l[k]);
                        bn[size_t(c)] |= n[k];
                    }
                }
            }
            float* dst = g.values.data() + r * outC;
            for (int64_t c = 0; c < outC; ++c) {
                const float bH = bh[size_t(c)], bL = bl[size_t(c)];
                dst[c] = bn[size_t(c)] ? std::numeric_limits<float>::quiet_NaN()
                                       : (std::fabs(bL) > std::fabs(bH) ? bL : bH);
            }
        }
        return true;
    };
    if (runParts(outR, threadsFor(nRows * nCols), work, error)) return true;
    g.values.resize(0, 0);
    return false;
}

std::shared_ptr<MatrixSource> memorySource(std::shared_ptr<const MatrixF> m) {
    if (!m) return nullptr;
    const MatrixF* raw = m.get();
    return std::make_shared<MemorySource>(raw, std::move(m));
}

std::shared_ptr<MatrixSource> fileSource(const Tensor& t) {
    const std::shared_ptr<Storage>& s = t.storage;
    const bool plain =
        t.dtype == DType::Float32 || t.dtype == DType::Float16 || t.dtype == DType::BFloat16;
    if (!plain || t.encoding || t.rank() < 1 || !t.isContiguous() || !s || s->isLoaded() ||
        s->isDirty() || s->fileOffset() < 0 || t.numel() == 0 || !t.validate().isEmpty())
        return nullptr;
    const QString path = s->filePath();
    if (path.isEmpty()) return nullptr;
    auto source = std::make_shared<FileSource>(
        t.rows(), t.cols(), path, s->fileOffset() + t.storageOffset * dtypeSize(t.dtype), t.dtype);
    // A file shorter than the record claims is left to Tensor::values to report.
    if (!source->open() || source->fileSize() < s->fileOffset() + s->byteSize()) return nullptr;
    return source;
}

PooledGrid poolMaxMagnitude(const MatrixF& m, int64_t row0, int64_t col0, int64_t nRows,
                            int64_t nCols, int maxRows, int maxCols) {
    PooledGrid g;
    MemorySource(&m, nullptr).pool(row0, col0, nRows, nCols, maxRows, maxCols, &g, nullptr);
    return g;
}

} // namespace ws
