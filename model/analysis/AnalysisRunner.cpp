// One worker thread per runner (QThreadPool of size 1): requests queue behind a
// cancelled one for at most a tile's time.
#include "AnalysisRunner.h"

#include "MatrixSource.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>
#include <QThreadPool>
#include <tuple>

namespace ws {

struct AnalysisRunner::Shared {
    QThreadPool pool;
    std::atomic<quint64> latest{0};
    std::shared_ptr<std::atomic<bool>> cancel;
    std::atomic<int> running{0};
};

AnalysisRunner::AnalysisRunner(QObject* parent) : QObject(parent), m_shared(new Shared) {
    m_shared->pool.setMaxThreadCount(1);
    qRegisterMetaType<ws::AnalysisResult>();
}

AnalysisRunner::~AnalysisRunner() {
    cancel();
    m_shared->pool.waitForDone();
}

void AnalysisRunner::cancel() {
    if (m_shared->cancel) m_shared->cancel->store(true);
    m_shared->cancel.reset();
    m_shared->latest = 0;
}

bool AnalysisRunner::isRunning() const {
    return m_shared->running > 0;
}

quint64 AnalysisRunner::start(AnalysisRequest request) {
    cancel();
    const quint64 id = ++m_next;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_shared->cancel = flag;
    m_shared->latest = id;
    std::shared_ptr<Shared> shared = m_shared;
    QPointer<AnalysisRunner> self(this);
    ++shared->running;
    shared->pool.start([shared, self, request = std::move(request), flag, id] {
        auto report = [&](double f) {
            if (flag->load()) return;
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, id, shared, f] {
                    if (self && shared->latest == id) Q_EMIT self->progress(f);
                },
                Qt::QueuedConnection);
        };
        AnalysisResult r = run(request, flag.get(), report);
        r.id = id;
        --shared->running;
        if (flag->load()) return;
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, id, shared, r = std::move(r)] {
                if (self && shared->latest == id) Q_EMIT self->finished(r);
            },
            Qt::QueuedConnection);
    });
    return id;
}

AnalysisResult AnalysisRunner::run(const AnalysisRequest& q, const std::atomic<bool>* cancel,
                                   const std::function<void(double)>& progress) {
    AnalysisResult r;
    if (!q.tensor) return r;
    auto note = [&r](const QString& what, const QString& error) {
        if (r.error.isEmpty()) r.error = QStringLiteral("%1: %2").arg(what, error);
    };
    auto cancelled = [cancel] { return cancel && cancel->load(); };
    const Tensor& t = *q.tensor;
    const bool selected = q.nRows > 0 && q.nCols > 0;
    const int64_t row0 = selected ? q.row0 : 0, col0 = selected ? q.col0 : 0;
    const int64_t nRows = selected ? q.nRows : t.rows(), nCols = selected ? q.nCols : t.cols();
    std::shared_ptr<MatrixSource> source = tensorSource(q.tensor);
    QString error;
    if (q.stats) { // always of the whole tensor (the selection has its histogram)
        r.hasStats = computeStats(t, &r.stats, &error, cancel);
        if (!r.hasStats) note(QStringLiteral("statistics"), error);
        if (progress) progress(0.3);
    }
    if (cancelled()) return r;
    if (q.histogram) {
        error.clear();
        // numpy.histogram's range: the data's, [v - 0.5, v + 0.5] for constant data; with
        // an original to overlay, both are binned over the range of the two together.
        const auto resolve = [](double a, double b) {
            return a == b ? std::make_pair(a - 0.5, b + 0.5) : std::make_pair(a, b);
        };
        double lo = 0, hi = 0;
        // The statistics of the whole tensor know its finite range: no second pass over it
        // for the histogram (when the range is the one the float tiles would give).
        const TensorStats& st = r.stats;
        const bool known = !selected && r.hasStats && st.infCount == 0 &&
                           double(float(st.min)) == st.min && double(float(st.max)) == st.max;
        bool ok = true;
        if (known) {
            lo = st.min;
            hi = st.max;
        } else {
            ok = finiteRangeOf(*source, row0, col0, nRows, nCols, &lo, &hi, &error);
        }
        std::tie(lo, hi) = resolve(lo, hi);
        std::shared_ptr<MatrixSource> original = q.original ? tensorSource(q.original) : nullptr;
        if (ok && original) {
            double olo = 0, ohi = 0;
            ok = finiteRangeOf(*original, row0, col0, nRows, nCols, &olo, &ohi, &error);
            std::tie(olo, ohi) = resolve(olo, ohi);
            lo = std::min(lo, olo);
            hi = std::max(hi, ohi);
        }
        ok = ok &&
             histogramOf(*source, row0, col0, nRows, nCols, q.bins, lo, hi, &r.histogram, &error);
        if (ok && original && !r.histogram.edges.empty())
            ok = histogramOf(*original, row0, col0, nRows, nCols, q.bins, r.histogram.edges.front(),
                             r.histogram.edges.back(), &r.originalHistogram, &error);
        r.hasHistogram = ok;
        if (!ok) note(QStringLiteral("histogram"), error);
        if (progress) progress(0.6);
    }
    if (cancelled()) return r;
    if (q.features && t.rank() == 2) {
        error.clear();
        r.hasFeatures = normsOf(*source, &r.inputNorms, &r.outputNorms, &error);
        if (!r.hasFeatures) note(QStringLiteral("feature norms"), error);
        if (progress) progress(0.7);
    }
    if (cancelled()) return r;
    if (q.spectrum && t.rank() >= 2) {
        error.clear();
        const auto spectrumProgress = [&](double f) {
            if (progress) progress(0.7 + 0.3 * f);
            return !cancelled();
        };
        r.hasSpectrum = computeSpectrum(*source, &r.spectrum, &error, spectrumProgress,
                                        q.spectrumExactLimit, q.spectrumRank);
        if (!r.hasSpectrum) note(QStringLiteral("singular values"), error);
    }
    if (progress) progress(1.0);
    return r;
}

} // namespace ws
