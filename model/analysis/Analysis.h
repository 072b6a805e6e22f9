// Weight analysis a researcher would otherwise script in a notebook:
// histograms, percentiles, singular values and ranks, per-feature norms, and
// the comparison of two files of the same model.
#pragma once

#include "Tensor.h"
#include "WeightFile.h"

#include <QString>
#include <atomic>
#include <functional>
#include <vector>

namespace ws {

class MatrixSource;

/// A histogram as numpy.histogram returns it: bins+1 edges, bins counts.
struct Histogram {
    std::vector<double> edges;
    std::vector<int64_t> counts;
};

/// numpy.histogram(values, bins, range=(lo, hi)) semantics: equal-width bins,
/// the last bin closed on the right, values outside [lo, hi] and NaNs not
/// counted. lo == hi == 0 means the data's finite min and max (numpy's default;
/// a constant array gets [v - 0.5, v + 0.5]).
Histogram histogram(const float* values, int64_t n, int bins, double lo = 0, double hi = 0);

/// numpy.percentile(values, q) with the default linear interpolation; NaNs ignored.
double percentile(const float* values, int64_t n, double q);
/// Both ends at once (one partial sort), for range clipping such as 1..99.
std::pair<double, double> percentileRange(const float* values, int64_t n, double qLo, double qHi);

/// Singular-value summary of a matrix.
struct Spectrum {
    std::vector<double> singularValues; ///< descending
    bool truncated = false;             ///< only the largest values (randomized method)
    double frobenius = 0;               ///< sqrt(sum of squares of all entries)
    double spectral = 0;                ///< largest singular value
    double stableRank = 0;              ///< sum(s^2) / max(s)^2 (Frobenius^2 / spectral^2)
    double effectiveRank = 0;           ///< exp(entropy of s / sum(s))
    QString
        method; ///< how they were found: "exact (SVD)", "randomized: the largest 128 of 3072 ..."
};

/// Called with progress in [0, 1]; return false to cancel.
using AnalysisProgress = std::function<bool(double)>;

/// Singular values of \a m: Eigen's BDCSVD when min(rows, cols) <= \a exactLimit,
/// else a randomized truncated SVD of the \a rank largest values (the stable rank
/// then uses the exact Frobenius norm). False with \a error when cancelled.
bool computeSpectrum(const MatrixF& m, Spectrum* out, QString* error,
                     const AnalysisProgress& progress = {}, int exactLimit = 2048, int rank = 128);
/// The same reading \a m block by block (a matrix of any size, never held whole but for
/// the exact SVD of one whose smaller side is within \a exactLimit).
bool computeSpectrum(const MatrixSource& m, Spectrum* out, QString* error,
                     const AnalysisProgress& progress = {}, int exactLimit = 2048, int rank = 128);

/// Singular values (descending) as square roots of the eigenvalues of the Gram matrix
/// (A^T A or A A^T, the smaller, accumulated in double in blocks of rows): exact up to
/// about 1e-8 of the largest value, in little memory. computeSpectrum uses it for
/// large, long matrices (more than 8M elements, one side over 4 times the other)
/// whose smaller side is within its exact limit. False when \a progress cancels.
bool gramSingularValues(const MatrixF& m, std::vector<double>* out,
                        const AnalysisProgress& progress = {});
bool gramSingularValues(const MatrixSource& m, std::vector<double>* out, QString* error,
                        const AnalysisProgress& progress = {});

/// histogram() of the region [row0, row0+nRows) x [col0, col0+nCols) of \a m, read
/// tile by tile (two passes: the finite range, then the counts). The same counts as
/// histogram() over the region's values in memory.
bool histogramOf(const MatrixSource& m, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                 int bins, Histogram* out, QString* error);
/// The same binned over [\a lo, \a hi] (one pass): to overlay two histograms.
bool histogramOf(const MatrixSource& m, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                 int bins, double lo, double hi, Histogram* out, QString* error);
/// The finite min and max of the region (both 0 when it holds none).
bool finiteRangeOf(const MatrixSource& m, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols,
                   double* lo, double* hi, QString* error);
/// columnNorms() and rowNorms() of \a m, read tile by tile in one pass.
bool normsOf(const MatrixSource& m, std::vector<double>* columns, std::vector<double>* rows,
             QString* error);

/// L2 norm of each column (input feature) and each row (output feature).
std::vector<double> columnNorms(const MatrixF& m);
std::vector<double> rowNorms(const MatrixF& m);

/// One tensor matched by name between two files.
struct TensorChange {
    QString name;
    QString problem; ///< "only in A", "only in B", "shape differs", "cannot read: ..." or empty
    double relativeChange = 0; ///< ||b - a|| / ||a|| (Frobenius; inf when ||a|| = 0 < ||b - a||)
    double maxAbsChange = 0;
    double l2A = 0, l2B = 0;
};

/// Matches tensors by name (file order of \a a, then names only in \a b) and
/// measures the change from \a a to \a b, loading each pair in turn.
std::vector<TensorChange> compareFiles(const WeightFile& a, const WeightFile& b,
                                       const AnalysisProgress& progress = {});

} // namespace ws
