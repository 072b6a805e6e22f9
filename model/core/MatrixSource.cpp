// Max-magnitude pooling and range finding over matrices read tile by tile: from
// memory, or from a tensor's file through its edits and encoding.
#include "MatrixSource.h"

#include "Parallel.h"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace ws {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
/// Columns pooled at once: bounds the per-column scratch arrays for very wide matrices.
constexpr int64_t kChunkCols = int64_t(1) << 16;

std::atomic<quint64> g_memoryKeys{1};

class MemorySource : public MatrixSource {
public:
    MemorySource(const MatrixF* m, std::shared_ptr<const MatrixF> owner)
        : MatrixSource(m->rows(), m->cols()), m_m(m), m_owner(std::move(owner)),
          m_key(QStringLiteral("m%1").arg(g_memoryKeys++)) {}
    QString cacheKey() const override { return m_key; }
    const float* tile(int64_t row0, int64_t, int64_t col0, int64_t, std::vector<float>*,
                      int64_t* stride, QString*) const override {
        *stride = cols();
        return m_m->data() + row0 * cols() + col0;
    }
    int64_t tileLimit() const override { return std::numeric_limits<int64_t>::max(); }

private:
    const MatrixF* m_m;
    std::shared_ptr<const MatrixF> m_owner;
    QString m_key;
};

/// Any tensor's 2-D view, read tile by tile through Tensor::readFloats: the bytes
/// of the tile from the file (and the edit overlay), converted or decoded.
class TensorSource : public MatrixSource {
public:
    explicit TensorSource(TensorPtr t) : MatrixSource(t->rows(), t->cols()), m_t(std::move(t)) {}

    const float* tile(int64_t row0, int64_t nRows, int64_t col0, int64_t nCols,
                      std::vector<float>* buffer, int64_t* stride, QString* error) const override {
        const size_t need = size_t(nRows * nCols);
        if (buffer->size() < need) buffer->resize(need);
        *stride = nCols;
        float* dst = buffer->data();
        if (nCols == cols()) {
            if (!m_t->readFloats(row0 * cols(), nRows * nCols, dst, error)) return nullptr;
        } else {
            for (int64_t r = 0; r < nRows; ++r)
                if (!m_t->readFloats((row0 + r) * cols() + col0, nCols, dst + r * nCols, error))
                    return nullptr;
        }
        return dst;
    }
    // 2 MB: a tile stays in the cache between reading and pooling.
    int64_t tileLimit() const override { return int64_t(1) << 19; }
    QString cacheKey() const override { return m_key; }
    int64_t remoteBytes() const override { return m_t->remoteBytes(); }

private:
    TensorPtr m_t;
    QString m_key = tensorCacheKey(*m_t);
};

class MappedSource : public MatrixSource {
public:
    MappedSource(TensorPtr t, int64_t rows, int64_t cols,
                 std::function<int64_t(int64_t, int64_t)> flatOf, const QString& what)
        : MatrixSource(rows, cols), m_t(std::move(t)), m_flatOf(std::move(flatOf)),
          m_key(tensorCacheKey(*m_t) + QStringLiteral("|") + what) {}
    const float* tile(int64_t row0, int64_t nRows, int64_t col0, int64_t nCols,
                      std::vector<float>* buffer, int64_t* stride, QString* error) const override {
        const size_t need = size_t(nRows * nCols);
        if (buffer->size() < need) buffer->resize(need);
        *stride = nCols;
        float* dst = buffer->data();
        for (int64_t r = 0; r < nRows; ++r) {
            float* out = dst + r * nCols;
            int64_t c = 0;
            while (c < nCols) {
                const int64_t f = m_flatOf(row0 + r, col0 + c);
                if (f < 0) {
                    out[c++] = std::numeric_limits<float>::quiet_NaN();
                    continue;
                }
                int64_t run = 1; // consecutive elements: one read
                while (c + run < nCols && m_flatOf(row0 + r, col0 + c + run) == f + run)
                    ++run;
                if (!m_t->readFloats(f, run, out + c, error)) return nullptr;
                c += run;
            }
        }
        return dst;
    }
    int64_t tileLimit() const override { return int64_t(1) << 18; }
    QString cacheKey() const override { return m_key; }
    int64_t remoteBytes() const override { return m_t->remoteBytes(); }

private:
    TensorPtr m_t;
    std::function<int64_t(int64_t, int64_t)> m_flatOf;
    QString m_key;
};

class DifferenceSource : public MatrixSource {
public:
    DifferenceSource(std::shared_ptr<const MatrixSource> a, std::shared_ptr<const MatrixSource> b)
        : MatrixSource(a->rows(), a->cols()), m_a(std::move(a)), m_b(std::move(b)),
          m_key(m_a->cacheKey() + QStringLiteral("|minus|") + m_b->cacheKey()) {}
    const float* tile(int64_t row0, int64_t nRows, int64_t col0, int64_t nCols,
                      std::vector<float>* buffer, int64_t* stride, QString* error) const override {
        std::vector<float> other;
        int64_t sa = 0, sb = 0;
        const float* pa = m_a->tile(row0, nRows, col0, nCols, buffer, &sa, error);
        if (!pa) return nullptr;
        // Copy a's tile out of the buffer b may reuse... b gets its own.
        std::vector<float> left(size_t(nRows * nCols));
        for (int64_t r = 0; r < nRows; ++r)
            std::copy(pa + r * sa, pa + r * sa + nCols, left.begin() + r * nCols);
        const float* pb = m_b->tile(row0, nRows, col0, nCols, &other, &sb, error);
        if (!pb) return nullptr;
        for (int64_t r = 0; r < nRows; ++r)
            for (int64_t c = 0; c < nCols; ++c)
                left[size_t(r * nCols + c)] -= pb[r * sb + c];
        *buffer = std::move(left);
        *stride = nCols;
        return buffer->data();
    }
    int64_t tileLimit() const override { return std::min(m_a->tileLimit(), m_b->tileLimit()); }
    QString cacheKey() const override { return m_key; }
    int64_t remoteBytes() const override { return m_a->remoteBytes() + m_b->remoteBytes(); }

private:
    std::shared_ptr<const MatrixSource> m_a, m_b;
    QString m_key;
};

} // namespace

std::shared_ptr<MatrixSource> mappedSource(TensorPtr t, int64_t rows, int64_t cols,
                                           std::function<int64_t(int64_t, int64_t)> flatOf,
                                           const QString& what) {
    return std::make_shared<MappedSource>(std::move(t), rows, cols, std::move(flatOf), what);
}

std::shared_ptr<MatrixSource> differenceSource(std::shared_ptr<const MatrixSource> a,
                                               std::shared_ptr<const MatrixSource> b) {
    if (!a || !b || a->rows() != b->rows() || a->cols() != b->cols()) return nullptr;
    return std::make_shared<DifferenceSource>(std::move(a), std::move(b));
}

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

QString storageCacheKey(const Storage& s) {
    return QStringLiteral("s%1:").arg(s.uid());
}

QString tensorCacheKey(const Tensor& t) {
    if (!t.storage) return QString();
    QString key = storageCacheKey(*t.storage) + QString::number(t.storageOffset) + QLatin1Char('/');
    for (size_t d = 0; d < t.shape.size(); ++d)
        key +=
            QStringLiteral("%1x%2,").arg(t.shape[d]).arg(d < t.strides.size() ? t.strides[d] : 0);
    key += QLatin1Char('/') + QString::number(int(t.dtype));
    if (t.encoding) key += QStringLiteral("/e%1").arg(quintptr(t.encoding.get()), 0, 16);
    if (isComplex(t.dtype) && t.complexPart != ComplexPart::Real)
        key += QLatin1Char('/') + complexPartName(t.complexPart);
    return key;
}

std::shared_ptr<MatrixSource> tensorSource(TensorPtr t) {
    return std::make_shared<TensorSource>(std::move(t));
}

std::shared_ptr<MatrixSource> fileSource(const Tensor& t) {
    QString error;
    if (t.rank() < 1 || t.numel() == 0 || !t.check(&error)) return nullptr;
    return tensorSource(std::make_shared<Tensor>(t));
}

PooledGrid poolMaxMagnitude(const MatrixF& m, int64_t row0, int64_t col0, int64_t nRows,
                            int64_t nCols, int maxRows, int maxCols) {
    PooledGrid g;
    MemorySource(&m, nullptr).pool(row0, col0, nRows, nCols, maxRows, maxCols, &g, nullptr);
    return g;
}

} // namespace ws
