// Singular-value spectrum on a worker thread (QThread::create), shown on a log axis.
#include "SpectrumWidget.h"
#include "MatrixSource.h"

#include "PlotStyle.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>
#include <qcustomplot.h>

namespace ws {

SpectrumWidget::SpectrumWidget(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_plot = new QCustomPlot(this);
    applyPlotStyle(m_plot);
    m_plot->addGraph();
    m_plot->graph(0)->setPen(QPen(QColor(40, 90, 160), 1.5));
    m_plot->graph(0)->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 3));
    m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog));
    m_plot->xAxis->setLabel(tr("index"));
    m_plot->yAxis->setLabel(tr("singular value"));
    m_plot->setMinimumSize(200, 110);
    layout->addWidget(m_plot, 1);
    m_text = new QLabel(this);
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_text->setMinimumHeight(m_text->fontMetrics().lineSpacing() * 4);
    m_text->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    layout->addWidget(m_text);
    auto* row = new QHBoxLayout;
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_compute = new QPushButton(tr("Compute"), this);
    row->addWidget(m_progress, 1);
    row->addWidget(m_cancel);
    row->addWidget(m_compute);
    row->addStretch();
    layout->addLayout(row);
    connect(m_cancel, &QPushButton::clicked, this, &SpectrumWidget::cancel);
    connect(m_compute, &QPushButton::clicked, this, &SpectrumWidget::computeRequested);
    clear();
}

SpectrumWidget::~SpectrumWidget() {
    stopThread();
}

void SpectrumWidget::stopThread() {
    if (!m_thread) return;
    if (m_cancelFlag) m_cancelFlag->store(true);
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

void SpectrumWidget::cancel() {
    if (m_cancelFlag) m_cancelFlag->store(true);
}

void SpectrumWidget::clear(const QString& message) {
    stopThread();
    ++m_generation;
    m_spectrum = Spectrum();
    m_plot->graph(0)->data()->clear();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    m_text->setText(message.isEmpty() ? tr("Singular values of 2-D and larger weights.") : message);
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    m_compute->setVisible(false);
}

void SpectrumWidget::offer(const QString& message) {
    clear(message);
    m_compute->setVisible(true);
}

void SpectrumWidget::setMatrix(std::shared_ptr<const MatrixF> m, const QString& name) {
    if (!m || m->size() == 0) {
        clear();
        return;
    }
    setSource(memorySource(std::move(m)), name);
}

void SpectrumWidget::setSource(std::shared_ptr<const MatrixSource> m, const QString& name) {
    clear();
    if (!m || m->rows() == 0 || m->cols() == 0) return;
    m_name = name;
    const quint64 generation = m_generation;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_cancelFlag = flag;
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_cancel->setVisible(true);
    m_text->setText(
        tr("Computing singular values of %1 (%2 × %3)…").arg(name).arg(m->rows()).arg(m->cols()));
    m_thread = QThread::create([this, m, flag, generation] {
        Spectrum s;
        QString error;
        int last = -1;
        const bool ok = computeSpectrum(*m, &s, &error, [&](double f) {
            const int percent = int(f * 100);
            if (percent != last) {
                last = percent;
                QMetaObject::invokeMethod(
                    this,
                    [this, percent, generation] {
                        if (generation == m_generation) m_progress->setValue(percent);
                    },
                    Qt::QueuedConnection);
            }
            return !flag->load();
        });
        QMetaObject::invokeMethod(
            this, [this, generation, ok, s, error] { showResult(generation, ok, s, error); },
            Qt::QueuedConnection);
    });
    m_thread->start();
}

void SpectrumWidget::showResult(quint64 generation, bool ok, const Spectrum& s,
                                const QString& error) {
    if (generation != m_generation) return;
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
        m_thread = nullptr;
    }
    m_progress->setVisible(false);
    m_cancel->setVisible(false);
    if (!ok) {
        m_text->setText(error.isEmpty() ? tr("Cancelled.") : error);
        Q_EMIT finished(false);
        return;
    }
    m_spectrum = s;
    QVector<double> x, y;
    double lo = 1e300, hi = 0;
    for (size_t i = 0; i < s.singularValues.size(); ++i) {
        const double v = s.singularValues[i];
        x << double(i);
        y << v;
        if (v > 0) lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    m_plot->graph(0)->setData(x, y, true);
    m_plot->xAxis->setRange(-0.5, std::max(1.0, double(x.size()) - 0.5));
    if (hi > 0) m_plot->yAxis->setRange(lo / 1.5, hi * 1.5);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    m_text->setText(summary());
    Q_EMIT finished(true);
}

QString SpectrumWidget::summary() const {
    const Spectrum& s = m_spectrum;
    return tr("%1 singular values%2\nstable rank %3 · effective rank %4\n"
              "Frobenius norm %5 · spectral norm %6%7")
        .arg(s.singularValues.size())
        .arg(s.truncated ? tr(" (largest only)") : QString())
        .arg(s.stableRank, 0, 'g', 5)
        .arg(s.effectiveRank, 0, 'g', 5)
        .arg(s.frobenius, 0, 'g', 6)
        .arg(s.spectral, 0, 'g', 6)
        .arg(s.method.isEmpty() ? QString()
                                : QStringLiteral("\n") + tr("method: %1").arg(s.method));
}

} // namespace ws
