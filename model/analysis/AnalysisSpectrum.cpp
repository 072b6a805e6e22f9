// Singular values of a weight matrix: Eigen's BDCSVD for moderate sizes and a
// randomized truncated SVD (Halko, Martinsson and Tropp) with power iterations
// for large matrices, reporting progress and honouring cancellation.
#include "Analysis.h"
#include "MatrixSource.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <random>

namespace ws {

namespace {

using MatrixD = Eigen::MatrixXd;

/// Frobenius norm; false when a value is not finite (or the source cannot be read).
bool frobeniusOf(const MatrixSource& m, double* out, bool* finite, QString* error) {
    double s = 0;
    bool ok = true;
    if (!m.forEachTile(
            0, 0, m.rows(), m.cols(),
            [&](const MatrixSource::Tile& t) {
                for (int64_t r = 0; r < t.nRows; ++r)
                    for (int64_t c = 0; c < t.nCols; ++c) {
                        const double v = t.data[r * t.stride + c];
                        ok = ok && std::isfinite(v);
                        s += v * v;
                    }
            },
            error))
        return false;
    *out = std::sqrt(s);
    *finite = ok;
    return true;
}

/// Rows [r, r + n) of \a m as a float matrix.
bool rowBlock(const MatrixSource& m, int64_t r, int64_t n, Eigen::MatrixXf* out, QString* error) {
    out->resize(Eigen::Index(n), Eigen::Index(m.cols()));
    std::vector<float> buffer;
    for (int64_t c = 0; c < m.cols();) {
        const int64_t w = std::min<int64_t>(m.cols() - c, std::max<int64_t>(1, m.tileLimit() / n));
        int64_t stride = 0;
        const float* p = m.tile(r, n, c, w, &buffer, &stride, error);
        if (!p) return false;
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < w; ++j)
                (*out)(Eigen::Index(i), Eigen::Index(c + j)) = p[i * stride + j];
        c += w;
    }
    return true;
}

void summarize(Spectrum* out) {
    const auto& s = out->singularValues;
    out->spectral = s.empty() ? 0.0 : s.front();
    out->stableRank =
        out->spectral > 0 ? out->frobenius * out->frobenius / (out->spectral * out->spectral) : 0.0;
    double sum = 0;
    for (double x : s)
        sum += x;
    double entropy = 0;
    if (sum > 0) {
        for (double x : s) {
            const double p = x / sum;
            if (p > 0) entropy -= p * std::log(p);
        }
    }
    out->effectiveRank = sum > 0 ? std::exp(entropy) : 0.0;
}

// Blocks of rows, so that cancellation is noticed within a large product.
constexpr Eigen::Index kBlockRows = 512;

/// The products of the randomized SVD, streaming the matrix in blocks of rows (it is
/// never held whole: a 128256 x 4096 embedding is read block by block each pass).
class Randomized {
public:
    Randomized(const MatrixSource& a, const AnalysisProgress& progress, int steps)
        : m_a(a), m_progress(progress), m_steps(steps) {}

    bool tick() {
        ++m_done;
        return !m_progress || m_progress(std::min(1.0, double(m_done) / double(m_steps)));
    }
    // Y = A * X (X: cols x l)
    bool times(const Eigen::MatrixXf& x, Eigen::MatrixXf* y, QString* error) {
        y->resize(Eigen::Index(m_a.rows()), x.cols());
        Eigen::MatrixXf block;
        for (int64_t r = 0; r < m_a.rows(); r += kBlockRows) {
            const int64_t n = std::min<int64_t>(kBlockRows, m_a.rows() - r);
            if (!rowBlock(m_a, r, n, &block, error)) return false;
            y->middleRows(Eigen::Index(r), Eigen::Index(n)).noalias() = block * x;
            if (!tick()) return false;
        }
        return true;
    }
    // Z = A^T * Y (Y: rows x l)
    bool timesTransposed(const Eigen::MatrixXf& y, Eigen::MatrixXf* z, QString* error) {
        z->setZero(Eigen::Index(m_a.cols()), y.cols());
        Eigen::MatrixXf block;
        for (int64_t r = 0; r < m_a.rows(); r += kBlockRows) {
            const int64_t n = std::min<int64_t>(kBlockRows, m_a.rows() - r);
            if (!rowBlock(m_a, r, n, &block, error)) return false;
            z->noalias() += block.transpose() * y.middleRows(Eigen::Index(r), Eigen::Index(n));
            if (!tick()) return false;
        }
        return true;
    }

private:
    const MatrixSource& m_a;
    const AnalysisProgress& m_progress;
    int m_steps;
    int m_done = 0;
};

Eigen::MatrixXf orthonormalize(const Eigen::MatrixXf& y) {
    const MatrixD yd = y.cast<double>();
    Eigen::HouseholderQR<MatrixD> qr(yd);
    const MatrixD q = qr.householderQ() * MatrixD::Identity(yd.rows(), yd.cols());
    return q.cast<float>();
}

} // namespace

bool gramSingularValues(const MatrixF& m, std::vector<double>* out,
                        const AnalysisProgress& progress) {
    QString error;
    return gramSingularValues(*memorySource(std::make_shared<MatrixF>(m)), out, &error, progress);
}

bool gramSingularValues(const MatrixSource& m, std::vector<double>* out, QString* error,
                        const AnalysisProgress& progress) {
    out->clear();
    const bool tall = m.rows() >= m.cols();
    const Eigen::Index k = Eigen::Index(tall ? m.cols() : m.rows());
    const int64_t n = tall ? m.rows() : m.cols();
    MatrixD g = MatrixD::Zero(k, k);
    Eigen::MatrixXf block;
    std::vector<float> buffer;
    for (int64_t i = 0; i < n; i += kBlockRows) {
        const int64_t b = std::min<int64_t>(kBlockRows, n - i);
        MatrixD d;
        if (tall) {
            if (!rowBlock(m, i, b, &block, error)) return false;
            d = block.cast<double>();
        } else {
            int64_t stride = 0;
            const float* p = m.tile(0, m.rows(), i, b, &buffer, &stride, error);
            if (!p) return false;
            d.resize(Eigen::Index(b), Eigen::Index(m.rows()));
            for (int64_t r = 0; r < m.rows(); ++r)
                for (int64_t c = 0; c < b; ++c)
                    d(Eigen::Index(c), Eigen::Index(r)) = p[r * stride + c];
        }
        g.selfadjointView<Eigen::Lower>().rankUpdate(d.transpose());
        if (progress && !progress(0.9 * double(i + b) / double(n))) {
            if (error) *error = QStringLiteral("cancelled");
            return false;
        }
    }
    Eigen::SelfAdjointEigenSolver<MatrixD> eig(g, Eigen::EigenvaluesOnly);
    const auto& ev = eig.eigenvalues(); // ascending
    for (Eigen::Index i = ev.size() - 1; i >= 0; --i)
        out->push_back(std::sqrt(std::max(0.0, ev(i))));
    return true;
}

bool computeSpectrum(const MatrixF& m, Spectrum* out, QString* error,
                     const AnalysisProgress& progress, int exactLimit, int rank) {
    return computeSpectrum(*memorySource(std::make_shared<MatrixF>(m)), out, error, progress,
                           exactLimit, rank);
}

bool computeSpectrum(const MatrixSource& m, Spectrum* out, QString* error,
                     const AnalysisProgress& progress, int exactLimit, int rank) {
    *out = Spectrum();
    const int64_t small = std::min(m.rows(), m.cols());
    bool finite = true;
    if (!frobeniusOf(m, &out->frobenius, &finite, error)) return false;
    if (small == 0) {
        summarize(out);
        return true;
    }
    if (!finite) {
        if (error) *error = QStringLiteral("the matrix holds NaN or infinite values");
        return false;
    }
    auto cancelled = [error] {
        if (error && error->isEmpty()) *error = QStringLiteral("cancelled");
        return false;
    };
    if (progress && !progress(0.0)) return cancelled();
    const int64_t large = std::max(m.rows(), m.cols());
    const int64_t size = m.rows() * m.cols();
    if ((small <= exactLimit || rank >= small) && size > (int64_t(8) << 20) && large > 4 * small) {
        // A double copy for BDCSVD would take gigabytes (e.g. a token embedding).
        if (!gramSingularValues(m, &out->singularValues, error, progress)) return cancelled();
        out->method = QStringLiteral("exact: eigenvalues of the %1 x %1 Gram matrix").arg(small);
    } else if (small <= exactLimit || rank >= small) {
        Eigen::MatrixXf a;
        if (!rowBlock(m, 0, m.rows(), &a, error)) return false;
        Eigen::BDCSVD<MatrixD> svd(a.cast<double>());
        const auto& s = svd.singularValues();
        out->singularValues.assign(s.data(), s.data() + s.size());
        out->method = QStringLiteral("exact (SVD)");
    } else {
        const int oversample = 16;
        const int powerIterations = 3;
        const Eigen::Index l = Eigen::Index(std::min<int64_t>(small, rank + oversample));
        const int64_t blocks = (m.rows() + kBlockRows - 1) / kBlockRows;
        Randomized r(m, progress, int(blocks * (2 + 2 * powerIterations)));
        std::mt19937 gen(12345);
        std::normal_distribution<float> normal;
        Eigen::MatrixXf omega(Eigen::Index(m.cols()), l);
        for (Eigen::Index j = 0; j < l; ++j)
            for (Eigen::Index i = 0; i < Eigen::Index(m.cols()); ++i)
                omega(i, j) = normal(gen);
        Eigen::MatrixXf y, z;
        if (!r.times(omega, &y, error)) return cancelled();
        Eigen::MatrixXf q = orthonormalize(y);
        for (int it = 0; it < powerIterations; ++it) {
            if (!r.timesTransposed(q, &z, error)) return cancelled();
            z = orthonormalize(z);
            if (!r.times(z, &y, error)) return cancelled();
            q = orthonormalize(y);
        }
        // B^T = A^T Q (cols x l); the singular values of B are those wanted.
        if (!r.timesTransposed(q, &z, error)) return cancelled();
        Eigen::BDCSVD<MatrixD> svd(z.cast<double>());
        const auto& s = svd.singularValues();
        const Eigen::Index keep = std::min<Eigen::Index>(rank, s.size());
        out->singularValues.assign(s.data(), s.data() + keep);
        out->truncated = true;
        out->method = QStringLiteral("randomized: the largest %1 of %2 (%3 power iterations)")
                          .arg(keep)
                          .arg(small)
                          .arg(powerIterations);
    }
    summarize(out);
    if (progress) progress(1.0);
    return true;
}

} // namespace ws
