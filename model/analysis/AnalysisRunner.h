// The background analysis of the tensor on screen: statistics, histogram (with the
// original's overlaid after edits), feature norms and singular values, read tile by
// tile from the tensor (never copied whole), on a worker thread, one request at a
// time: a new request cancels the one running, and only the latest is reported.
#pragma once

#include "Analysis.h"
#include "Statistics.h"
#include "Tensor.h"

#include <QObject>
#include <atomic>
#include <functional>
#include <memory>

namespace ws {

/// What to compute, for \a tensor's 2-D view (or a rectangle of it).
struct AnalysisRequest {
    TensorPtr tensor;   ///< as shown (a permuted or sliced view is fine)
    TensorPtr original; ///< the same view without edits, for the overlay; null if not edited
    int64_t row0 = 0, col0 = 0, nRows = 0, nCols = 0; ///< the selection; nRows 0: everything
    bool stats = true; ///< of the whole tensor, whatever the selection
    bool histogram = false;
    bool features = false; ///< column and row norms (2-D tensors)
    bool spectrum = false; ///< singular values (rank >= 2)
    int bins = 50;
    int spectrumExactLimit = 2048;
    int spectrumRank = 128;
};

/// What came out; the parts asked for and computed are flagged.
struct AnalysisResult {
    quint64 id = 0; ///< the request's number (AnalysisRunner::start's return)
    bool hasStats = false, hasHistogram = false, hasFeatures = false, hasSpectrum = false;
    TensorStats stats;
    Histogram histogram, originalHistogram;
    std::vector<double> inputNorms, outputNorms;
    Spectrum spectrum;
    QString error; ///< why a part could not be computed (named), else empty
};

/// Runs analysis requests on a worker thread.
class AnalysisRunner : public QObject {
    Q_OBJECT
public:
    explicit AnalysisRunner(QObject* parent = nullptr);
    /// Cancels what runs and waits for it.
    ~AnalysisRunner() override;

    /// Cancels the running request and starts \a request; returns its number.
    quint64 start(AnalysisRequest request);
    void cancel();
    bool isRunning() const;

    /// Computes \a request on this thread (the command line, tests). \a cancel, when it
    /// becomes true, stops it with the error "cancelled".
    static AnalysisResult run(const AnalysisRequest& request,
                              const std::atomic<bool>* cancel = nullptr,
                              const std::function<void(double)>& progress = {});

Q_SIGNALS:
    /// The latest request finished (emitted on the runner's thread).
    void finished(const ws::AnalysisResult& result);
    /// Fraction done of the latest request.
    void progress(double fraction);

private:
    struct Shared;
    std::shared_ptr<Shared> m_shared;
    quint64 m_next = 0;
};

} // namespace ws

Q_DECLARE_METATYPE(ws::AnalysisResult)
