// Distribution of a tensor's values (or the selection's) as bars, with an optional
// logarithmic count axis and the original values' histogram overlaid after edits.
#pragma once

#include "Analysis.h"

#include <qcustomplot.h>
#include <vector>

namespace ws {

class HistogramWidget : public QCustomPlot {
    Q_OBJECT
public:
    explicit HistogramWidget(QWidget* parent = nullptr);

    /// Histogram of \a values (\a n floats) in \a bins bins over their finite range; when
    /// \a original is given its histogram over the same edges is drawn as an outline.
    void setValues(const float* values, int64_t n, const float* original = nullptr,
                   int64_t originalCount = 0, const QString& title = QString());
    /// The histograms setValues() draws, computed without the widget (on any thread).
    static std::pair<Histogram, Histogram>
    compute(const float* values, int64_t n, const float* original, int64_t originalCount, int bins);
    /// Draws histograms made by compute().
    void showHistograms(Histogram current, Histogram original, const QString& title);
    int binCount() const { return m_bins; }
    void clear();
    /// No bars and no axes while \a name's histogram is computed: the title says so
    /// (an empty 0-5 axis looked like a tensor without values).
    void showPending(const QString& name);
    /// No bars and no axes, \a text in place of the title.
    void showMessage(const QString& text);
    /// The title above the plot (the tensor and its value count, or the pending text).
    QString title() const;
    void setLogCounts(bool on);
    bool logCounts() const { return m_log; }
    void setBinCount(int bins) { m_bins = std::max(1, bins); }
    const Histogram& histogram() const { return m_hist; }
    const Histogram& originalHistogram() const { return m_orig; }
    QCPBars* bars() const { return m_bars; }
    QCPGraph* originalGraph() const { return m_origGraph; }

private:
    void rescale();
    Histogram m_hist, m_orig;
    QCPBars* m_bars = nullptr;
    QCPGraph* m_origGraph = nullptr;
    QCPTextElement* m_title = nullptr;
    bool m_log = false;
    int m_bins = 64;
};

} // namespace ws
