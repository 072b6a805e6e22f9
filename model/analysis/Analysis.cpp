// Histograms, percentiles, per-feature norms and file comparison (numpy semantics);
// singular values live in AnalysisSpectrum.cpp.
#include "Analysis.h"
#include "MatrixSource.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

Histogram histogram(const float* values, int64_t n, int bins, double lo, double hi) {
    Histogram h;
    if (bins < 1) bins = 1;
    if (lo == 0 && hi == 0) {
        double mn = std::numeric_limits<double>::infinity();
        double mx = -mn;
        for (int64_t i = 0; i < n; ++i) {
            const double v = values[i];
            if (!std::isfinite(v)) continue;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
        }
        if (mn > mx) mn = mx = 0;
        lo = mn;
        hi = mx;
    }
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    if (lo > hi) std::swap(lo, hi);
    h.edges.resize(size_t(bins) + 1);
    // numpy.linspace: lo + i * step, the last edge exactly hi.
    const double step = (hi - lo) / bins;
    for (int i = 0; i <= bins; ++i)
        h.edges[size_t(i)] = lo + i * step;
    h.edges.back() = hi;
    h.counts.assign(size_t(bins), 0);
    const double norm = bins / (hi - lo);
    for (int64_t i = 0; i < n; ++i) {
        const double v = values[i];
        if (!(v >= lo && v <= hi)) continue; // NaN and out of range
        int64_t k = int64_t((v - lo) * norm);
        if (k >= bins) k = bins - 1;
        // As numpy does: correct rounding against the actual edges.
        if (v < h.edges[size_t(k)])
            --k;
        else if (k + 1 < bins && v >= h.edges[size_t(k) + 1])
            ++k;
        ++h.counts[size_t(k)];
    }
    return h;
}

namespace {

std::vector<double> finiteSorted(const float* values, int64_t n) {
    std::vector<double> v;
    v.reserve(size_t(std::max<int64_t>(n, 0)));
    for (int64_t i = 0; i < n; ++i)
        if (!std::isnan(values[i])) v.push_back(values[i]);
    return v;
}

// numpy's linear method on a vector partially sorted around the needed ranks.
double linearAt(std::vector<double>& v, double q) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    q = std::clamp(q, 0.0, 100.0);
    const double pos = q / 100.0 * double(v.size() - 1);
    const size_t i = size_t(std::floor(pos));
    const double t = pos - double(i);
    std::nth_element(v.begin(), v.begin() + long(i), v.end());
    const double a = v[i];
    if (t == 0 || i + 1 >= v.size()) return a;
    const double b = *std::min_element(v.begin() + long(i) + 1, v.end());
    const double d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

} // namespace

double percentile(const float* values, int64_t n, double q) {
    std::vector<double> v = finiteSorted(values, n);
    return linearAt(v, q);
}

std::pair<double, double> percentileRange(const float* values, int64_t n, double qLo, double qHi) {
    std::vector<double> v = finiteSorted(values, n);
    const double lo = linearAt(v, qLo);
    const double hi = linearAt(v, qHi);
    return {lo, hi};
}

bool finiteRangeOf(const MatrixSource& m, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                   double* lo, double* hi, QString* error) {
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    const auto range = [&](const MatrixSource::Tile& t) {
        for (int64_t i = 0; i < t.nRows; ++i)
            for (int64_t c = 0; c < t.nCols; ++c) {
                const double v = t.data[i * t.stride + c];
                if (!std::isfinite(v)) continue;
                mn = std::min(mn, v);
                mx = std::max(mx, v);
            }
    };
    if (!m.forEachTile(row0, col0, nRows, nCols, range, error)) return false;
    if (mn > mx) mn = mx = 0;
    *lo = mn;
    *hi = mx;
    return true;
}

bool histogramOf(const MatrixSource& m, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                 int bins, double lo, double hi, Histogram* out, QString* error) {
    Histogram total = histogram(nullptr, 0, bins, lo, hi); // the edges, no counts
    const auto count = [&](const MatrixSource::Tile& t) {
        for (int64_t i = 0; i < t.nRows; ++i) {
            const Histogram part = histogram(t.data + i * t.stride, t.nCols, bins, lo, hi);
            for (size_t k = 0; k < total.counts.size() && k < part.counts.size(); ++k)
                total.counts[k] += part.counts[k];
        }
    };
    if (!m.forEachTile(row0, col0, nRows, nCols, count, error)) return false;
    *out = std::move(total);
    return true;
}

bool histogramOf(const MatrixSource& m, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                 int bins, Histogram* out, QString* error) {
    // The range histogram() would take from all the values at once ([0, 0], its
    // "from the data" marker, is resolved the same way by every piece).
    double mn = 0, mx = 0;
    if (!finiteRangeOf(m, row0, col0, nRows, nCols, &mn, &mx, error)) return false;
    return histogramOf(m, row0, col0, nRows, nCols, bins, mn, mx, out, error);
}

bool normsOf(const MatrixSource& m, std::vector<double>* columns, std::vector<double>* rows,
             QString* error) {
    std::vector<double> cs(static_cast<size_t>(m.cols()), 0.0);
    std::vector<double> rs(static_cast<size_t>(m.rows()), 0.0);
    const auto add = [&](const MatrixSource::Tile& t) {
        for (int64_t i = 0; i < t.nRows; ++i) {
            const float* row = t.data + i * t.stride;
            double s = 0;
            for (int64_t c = 0; c < t.nCols; ++c) {
                const double v = row[c];
                s += v * v;
                cs[size_t(t.col0 + c)] += v * v;
            }
            rs[size_t(t.row0 + i)] += s;
        }
    };
    if (!m.forEachTile(0, 0, m.rows(), m.cols(), add, error)) return false;
    for (double& x : cs)
        x = std::sqrt(x);
    for (double& x : rs)
        x = std::sqrt(x);
    *columns = std::move(cs);
    *rows = std::move(rs);
    return true;
}

std::vector<double> columnNorms(const MatrixF& m) {
    std::vector<double> out(size_t(m.cols()), 0.0);
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c)
            out[size_t(c)] += double(m(r, c)) * double(m(r, c));
    for (double& x : out)
        x = std::sqrt(x);
    return out;
}

std::vector<double> rowNorms(const MatrixF& m) {
    std::vector<double> out(size_t(m.rows()), 0.0);
    for (Eigen::Index r = 0; r < m.rows(); ++r) {
        double s = 0;
        for (Eigen::Index c = 0; c < m.cols(); ++c)
            s += double(m(r, c)) * double(m(r, c));
        out[size_t(r)] = std::sqrt(s);
    }
    return out;
}

namespace {

void measure(const Tensor& ta, const Tensor& tb, TensorChange* c) {
    std::vector<double> a, b;
    QString error;
    if (!ta.valuesDouble(&a, &error) || !tb.valuesDouble(&b, &error)) {
        c->problem = QStringLiteral("cannot read: ") + error;
        return;
    }
    double sa = 0, sb = 0, sd = 0, mx = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        const double d = b[i] - a[i];
        sa += a[i] * a[i];
        sb += b[i] * b[i];
        sd += d * d;
        if (std::isnan(d))
            mx = d;
        else if (!std::isnan(mx))
            mx = std::max(mx, std::abs(d));
    }
    c->l2A = std::sqrt(sa);
    c->l2B = std::sqrt(sb);
    c->maxAbsChange = mx;
    const double nd = std::sqrt(sd);
    if (c->l2A > 0)
        c->relativeChange = nd / c->l2A;
    else
        c->relativeChange = nd > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

} // namespace

std::vector<TensorChange> compareFiles(const WeightFile& a, const WeightFile& b,
                                       const AnalysisProgress& progress) {
    std::vector<TensorChange> out;
    const size_t total = a.tensors.size() + b.tensors.size();
    size_t done = 0;
    for (const TensorPtr& ta : a.tensors) {
        TensorChange c;
        c.name = ta->name;
        const TensorPtr tb = b.find(ta->name);
        if (!tb)
            c.problem = QStringLiteral("only in A");
        else if (tb->shape != ta->shape)
            c.problem = QStringLiteral("shape differs");
        else
            measure(*ta, *tb, &c);
        out.push_back(c);
        ++done;
        if (progress && !progress(total ? double(done) / double(total) : 1.0)) return out;
    }
    for (const TensorPtr& tb : b.tensors) {
        ++done;
        if (a.find(tb->name)) continue;
        TensorChange c;
        c.name = tb->name;
        c.problem = QStringLiteral("only in B");
        out.push_back(c);
    }
    if (progress) progress(1.0);
    return out;
}

} // namespace ws
