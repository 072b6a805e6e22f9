// Singular values of a weight matrix on a log axis, computed off the GUI thread
// with progress and Cancel, plus stable rank, effective rank and norms as text.
#pragma once

#include "Analysis.h"

#include <QWidget>
#include <atomic>
#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QCustomPlot;
class QThread;

namespace ws {

class SpectrumWidget : public QWidget {
    Q_OBJECT
public:
    explicit SpectrumWidget(QWidget* parent = nullptr);
    ~SpectrumWidget() override;

    /// Starts computing the spectrum of \a m (cancels a running computation).
    void setMatrix(std::shared_ptr<const MatrixF> m, const QString& name);
    /// The same for a matrix read block by block (a tensor of any size).
    void setSource(std::shared_ptr<const MatrixSource> m, const QString& name);
    void clear(const QString& message = QString());
    /// Shows \a message with a Compute button instead of starting (large matrices).
    void offer(const QString& message);
    void cancel();
    bool isRunning() const { return m_thread != nullptr; }
    const Spectrum& spectrum() const { return m_spectrum; }
    QString summary() const;
    QPushButton* computeButton() const { return m_compute; }
    QCustomPlot* plot() const { return m_plot; }

Q_SIGNALS:
    /// The computation ended: \a ok false when cancelled or failed.
    void finished(bool ok);
    /// The Compute button of offer() was pressed.
    void computeRequested();

private:
    void showResult(quint64 generation, bool ok, const Spectrum& s, const QString& error);
    void stopThread();

    QCustomPlot* m_plot = nullptr;
    QLabel* m_text = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_compute = nullptr;
    QThread* m_thread = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelFlag;
    quint64 m_generation = 0;
    Spectrum m_spectrum;
    QString m_name;
};

} // namespace ws
