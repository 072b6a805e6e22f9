// Singular values of a weight matrix: Eigen's BDCSVD for moderate sizes and a
// randomized truncated SVD (Halko, Martinsson and Tropp) with power iterations
// for large matrices, reporting progress and honouring cancellation.
#include "Analysis.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <random>

namespace ws {

namespace {

using MatrixD = Eigen::MatrixXd;

double frobeniusOf(const MatrixF& m) {
    double s = 0;
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c)
            s += double(m(r, c)) * double(m(r, c));
    return std::sqrt(s);
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

class Randomized {
public:
    Randomized(const MatrixF& a, const AnalysisProgress& progress, int steps)
        : m_a(a), m_progress(progress), m_steps(steps) {}

    bool tick() {
        ++m_done;
        return !m_progress || m_progress(std::min(1.0, double(m_done) / double(m_steps)));
    }
    // Y = A * X (X: cols x l)
    bool times(const Eigen::MatrixXf& x, Eigen::MatrixXf* y) {
        y->resize(m_a.rows(), x.cols());
        for (Eigen::Index r = 0; r < m_a.rows(); r += kBlockRows) {
            const Eigen::Index n = std::min(kBlockRows, m_a.rows() - r);
            y->middleRows(r, n).noalias() = m_a.middleRows(r, n) * x;
            if (!tick()) return false;
        }
        return true;
    }
    // Z = A^T * Y (Y: rows x l)
    bool timesTransposed(const Eigen::MatrixXf& y, Eigen::MatrixXf* z) {
        z->setZero(m_a.cols(), y.cols());
        for (Eigen::Index r = 0; r < m_a.rows(); r += kBlockRows) {
            const Eigen::Index n = std::min(kBlockRows, m_a.rows() - r);
            z->noalias() += m_a.middleRows(r, n).transpose() * y.middleRows(r, n);
            if (!tick()) return false;
        }
        return true;
    }

private:
    const MatrixF& m_a;
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
    out->clear();
    const bool tall = m.rows() >= m.cols();
    const Eigen::Index k = tall ? m.cols() : m.rows();
    const Eigen::Index n = tall ? m.rows() : m.cols();
    MatrixD g = MatrixD::Zero(k, k);
    for (Eigen::Index i = 0; i < n; i += kBlockRows) {
        const Eigen::Index b = std::min(kBlockRows, n - i);
        const MatrixD block = tall ? MatrixD(m.middleRows(i, b).cast<double>())
                                   : MatrixD(m.middleCols(i, b).cast<double>().transpose());
        g.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
        if (progress && !progress(0.9 * double(i + b) / double(n))) return false;
    }
    Eigen::SelfAdjointEigenSolver<MatrixD> eig(g, Eigen::EigenvaluesOnly);
    const auto& ev = eig.eigenvalues(); // ascending
    for (Eigen::Index i = ev.size() - 1; i >= 0; --i)
        out->push_back(std::sqrt(std::max(0.0, ev(i))));
    return true;
}

bool computeSpectrum(const MatrixF& m, Spectrum* out, QString* error,
                     const AnalysisProgress& progress, int exactLimit, int rank) {
    *out = Spectrum();
    out->frobenius = frobeniusOf(m);
    const Eigen::Index small = std::min(m.rows(), m.cols());
    if (small == 0) {
        summarize(out);
        return true;
    }
    if (!m.allFinite()) {
        if (error) *error = QStringLiteral("the matrix holds NaN or infinite values");
        return false;
    }
    auto cancelled = [error] {
        if (error) *error = QStringLiteral("cancelled");
        return false;
    };
    if (progress && !progress(0.0)) return cancelled();
    const Eigen::Index large = std::max(m.rows(), m.cols());
    if ((small <= exactLimit || rank >= small) && m.size() > (Eigen::Index(8) << 20) &&
        large > 4 * small) {
        // A double copy for BDCSVD would take gigabytes (e.g. a token embedding).
        if (!gramSingularValues(m, &out->singularValues, progress)) return cancelled();
    } else if (small <= exactLimit || rank >= small) {
        Eigen::BDCSVD<MatrixD> svd(m.cast<double>());
        const auto& s = svd.singularValues();
        out->singularValues.assign(s.data(), s.data() + s.size());
    } else {
        const int oversample = 16;
        const int powerIterations = 3;
        const Eigen::Index l = std::min<Eigen::Index>(small, rank + oversample);
        const Eigen::Index blocks = (m.rows() + kBlockRows - 1) / kBlockRows;
        Randomized r(m, progress, int(blocks * (2 + 2 * powerIterations)));
        std::mt19937 gen(12345);
        std::normal_distribution<float> normal;
        Eigen::MatrixXf omega(m.cols(), l);
        for (Eigen::Index j = 0; j < l; ++j)
            for (Eigen::Index i = 0; i < m.cols(); ++i)
                omega(i, j) = normal(gen);
        Eigen::MatrixXf y, z;
        if (!r.times(omega, &y)) return cancelled();
        Eigen::MatrixXf q = orthonormalize(y);
        for (int it = 0; it < powerIterations; ++it) {
            if (!r.timesTransposed(q, &z)) return cancelled();
            z = orthonormalize(z);
            if (!r.times(z, &y)) return cancelled();
            q = orthonormalize(y);
        }
        // B^T = A^T Q (cols x l); the singular values of B are those wanted.
        if (!r.timesTransposed(q, &z)) return cancelled();
        Eigen::BDCSVD<MatrixD> svd(z.cast<double>());
        const auto& s = svd.singularValues();
        const Eigen::Index keep = std::min<Eigen::Index>(rank, s.size());
        out->singularValues.assign(s.data(), s.data() + keep);
        out->truncated = true;
    }
    summarize(out);
    if (progress) progress(1.0);
    return true;
}

} // namespace ws
