// Main window, analysis: colour scale and range controls, histogram, spectrum,
// feature-importance and comparison docks, image export and copy, and the
// heatmap's keyboard cursor tied to the cell table.
#include "FormatRegistry.h"
#include "MainWindow.h"

#include "CellTableView.h"
#include "CompareWidget.h"
#include "ExportDialog.h"
#include "FeatureImportanceWidget.h"
#include "FigureOptions.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "MatrixSource.h"
#include "Parallel.h"
#include "SpectrumWidget.h"
#include "StatsPanel.h"
#include "TensorView.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ws {

namespace {
/// From this many values on, histogram and norms are computed off the GUI thread.
constexpr int64_t kAnalysisInBackground = int64_t(1) << 20;
} // namespace

int64_t MainWindow::s_spectrumAutoLimit = int64_t(16) << 20;

void MainWindow::addScaleControls() {
    HeatmapWidget* heatmap = m_view->heatmap();
    m_colorBar->addWidget(new QLabel(tr("  Scale: "), m_colorBar));
    m_scaleBox = new QComboBox(m_colorBar);
    m_scaleBox->addItem(tr("Linear"), int(ColorScale::Scale::Linear));
    m_scaleBox->addItem(tr("Symmetric log"), int(ColorScale::Scale::SymLog));
    m_scaleBox->addItem(tr("Log |x|"), int(ColorScale::Scale::Log));
    m_scaleBox->addItem(tr("Square root"), int(ColorScale::Scale::Sqrt));
    m_colorBar->addWidget(m_scaleBox);
    auto* threshold = new QDoubleSpinBox(m_colorBar);
    threshold->setDecimals(5);
    threshold->setRange(1e-6, 1e6);
    threshold->setValue(1e-3);
    threshold->setSingleStep(1e-3);
    threshold->setPrefix(tr("linear ±"));
    threshold->setToolTip(tr("Symmetric log: values within ±threshold are shown linearly"));
    m_colorBar->addWidget(threshold);
    m_thresholdBox = threshold;
    m_colorBar->addWidget(new QLabel(tr("  Range: "), m_colorBar));
    m_rangeBox = new QComboBox(m_colorBar);
    m_rangeBox->addItem(tr("Automatic"), QStringLiteral("auto"));
    m_rangeBox->addItem(tr("Min – max"), QStringLiteral("minmax"));
    m_rangeBox->addItem(tr("Symmetric ±max|x|"), QStringLiteral("symmetric"));
    m_rangeBox->addItem(tr("Percentiles 1 – 99"), QStringLiteral("p:1:99"));
    m_rangeBox->addItem(tr("Percentiles 0.1 – 99.9"), QStringLiteral("p:0.1:99.9"));
    m_rangeBox->addItem(tr("Percentiles…"), QStringLiteral("p:ask"));
    m_rangeBox->addItem(tr("Manual…"), QStringLiteral("manual"));
    m_rangeBox->setToolTip(tr("Values outside the range are drawn in the under and over "
                              "colours"));
    m_colorBar->addWidget(m_rangeBox);
    QAction* invert = m_colorBar->addAction(tr("Invert"));
    invert->setCheckable(true);
    invert->setToolTip(tr("Reverse the colour map (the _r variant)"));
    QAction* aspect = m_colorBar->addAction(tr("Square cells"));
    aspect->setCheckable(true);
    aspect->setToolTip(tr("Lock the aspect ratio so that every cell is square"));

    QSettings s = settings();
    m_scaleBox->setCurrentIndex(std::max(0, m_scaleBox->findData(s.value("colorScale", 0))));
    threshold->setValue(s.value(QStringLiteral("linearThreshold"), 1e-3).toDouble());
    heatmap->setScaleType(ColorScale::Scale(m_scaleBox->currentData().toInt()));
    heatmap->setLinearThreshold(threshold->value());
    threshold->setEnabled(m_scaleBox->currentIndex() == 1);
    const QString range = s.value(QStringLiteral("colorRange"), QStringLiteral("auto")).toString();
    const int ri = m_rangeBox->findData(range);
    m_rangeBox->setCurrentIndex(
        ri >= 0 && range != QLatin1String("manual") && range != QLatin1String("p:ask") ? ri : 0);
    applyRangeChoice();
    aspect->setChecked(s.value(QStringLiteral("squareCells"), false).toBool());
    heatmap->setAspectLocked(aspect->isChecked());

    connect(m_scaleBox, &QComboBox::currentIndexChanged, this, [this, heatmap, threshold] {
        heatmap->setScaleType(ColorScale::Scale(m_scaleBox->currentData().toInt()));
        threshold->setEnabled(m_scaleBox->currentIndex() == 1);
        settings().setValue(QStringLiteral("colorScale"), m_scaleBox->currentData());
    });
    connect(threshold, &QDoubleSpinBox::valueChanged, this, [heatmap](double v) {
        heatmap->setLinearThreshold(v);
        settings().setValue(QStringLiteral("linearThreshold"), v);
    });
    connect(m_rangeBox, &QComboBox::activated, this, [this] { applyRangeChoice(); });
    connect(invert, &QAction::toggled, this, [this](bool on) {
        settings().setValue(QStringLiteral("invertColors"), on);
        QString name = m_colorMapBox->currentData().toString();
        if (!on && name.isEmpty()) { // back to the automatic choice per tensor
            m_view->heatmap()->setFixedColorMap(QString());
            return;
        }
        if (name.isEmpty()) name = m_view->heatmap()->colorMapName();
        if (name.endsWith(QLatin1String("_r"))) name.chop(2);
        const bool defaultReversed = name == QLatin1String("RdBu");
        m_view->heatmap()->setFixedColorMap(on != defaultReversed ? name + QStringLiteral("_r")
                                                                  : name);
    });
    invert->setChecked(s.value(QStringLiteral("invertColors"), false).toBool());
    connect(aspect, &QAction::toggled, this, [heatmap](bool on) {
        heatmap->setAspectLocked(on);
        settings().setValue(QStringLiteral("squareCells"), on);
    });
}

void MainWindow::applyRangeChoice() {
    HeatmapWidget* heatmap = m_view->heatmap();
    const QString choice = m_rangeBox->currentData().toString();
    if (choice == QLatin1String("auto")) {
        heatmap->setRangeMode(RangeMode::Auto);
    } else if (choice == QLatin1String("minmax")) {
        heatmap->setRangeMode(RangeMode::MinMax);
    } else if (choice == QLatin1String("symmetric")) {
        heatmap->setRangeMode(RangeMode::Symmetric);
    } else if (choice == QLatin1String("manual")) {
        const QCPRange r = heatmap->colorRange();
        bool ok = false;
        const QString text = QInputDialog::getText(
            this, tr("Colour Range"), tr("Low and high (e.g. -0.05 0.05):"), QLineEdit::Normal,
            QStringLiteral("%1 %2").arg(r.lower).arg(r.upper), &ok);
        const QStringList parts = text.simplified().split(QLatin1Char(' '));
        double lo = 0, hi = 0;
        bool a = false, b = false;
        if (ok && parts.size() == 2) {
            lo = parts[0].toDouble(&a);
            hi = parts[1].toDouble(&b);
        }
        if (a && b && lo < hi)
            heatmap->setColorRange(lo, hi);
        else if (ok)
            statusBar()->showMessage(tr("Not a range: '%1'").arg(text), 6000);
    } else if (choice.startsWith(QLatin1String("p:"))) {
        double lo = 0, hi = 0;
        if (choice == QLatin1String("p:ask")) {
            const auto p = heatmap->percentiles();
            bool ok = false;
            const QString text = QInputDialog::getText(
                this, tr("Percentile Range"), tr("Low and high percentiles (e.g. 2 98):"),
                QLineEdit::Normal, QStringLiteral("%1 %2").arg(p.first).arg(p.second), &ok);
            const QStringList parts = text.simplified().split(QLatin1Char(' '));
            bool a = false, b = false;
            if (ok && parts.size() == 2) {
                lo = parts[0].toDouble(&a);
                hi = parts[1].toDouble(&b);
            }
            if (!(a && b && lo >= 0 && hi <= 100 && lo < hi)) return;
        } else {
            const QStringList parts = choice.split(QLatin1Char(':'));
            lo = parts.value(1).toDouble();
            hi = parts.value(2).toDouble();
        }
        heatmap->setRangeMode(RangeMode::Percentile, lo, hi);
    }
    settings().setValue(QStringLiteral("colorRange"), choice);
}

void MainWindow::createAnalysisDocks() {
    auto* histPanel = new QWidget(this);
    auto* hl = new QVBoxLayout(histPanel);
    hl->setContentsMargins(2, 2, 2, 2);
    m_histogram = new HistogramWidget(histPanel);
    auto* logBox = new QCheckBox(tr("Logarithmic counts"), histPanel);
    hl->addWidget(m_histogram, 1);
    hl->addWidget(logBox);
    connect(logBox, &QCheckBox::toggled, m_histogram, &HistogramWidget::setLogCounts);
    m_histogramDock = new QDockWidget(tr("Histogram"), this);
    m_histogramDock->setObjectName(QStringLiteral("histogramDock"));
    m_histogramDock->setWidget(histPanel);
    addDockWidget(Qt::RightDockWidgetArea, m_histogramDock);

    m_spectrum = new SpectrumWidget(this);
    connect(m_spectrum, &SpectrumWidget::computeRequested, this, [this] {
        m_spectrumRequested = m_valuesGeneration;
        refreshAnalysis();
    });
    m_spectrumDock = new QDockWidget(tr("Spectrum"), this);
    m_spectrumDock->setObjectName(QStringLiteral("spectrumDock"));
    m_spectrumDock->setWidget(m_spectrum);
    addDockWidget(Qt::RightDockWidgetArea, m_spectrumDock);

    // Statistics and history share a tab so that the plots get the height.
    tabifyDockWidget(m_statsDock, m_historyDock);
    m_statsDock->raise();

    m_features = new FeatureImportanceWidget(this);
    m_featuresDock = new QDockWidget(tr("Feature Importance"), this);
    m_featuresDock->setObjectName(QStringLiteral("featuresDock"));
    m_featuresDock->setWidget(m_features);
    addDockWidget(Qt::RightDockWidgetArea, m_featuresDock);
    // The plots share a tab too: the window fits a 1366 x 768 screen (minimum height
    // under 700) and opening one of them never makes it grow.
    tabifyDockWidget(m_histogramDock, m_spectrumDock);
    tabifyDockWidget(m_histogramDock, m_featuresDock);
    m_featuresDock->hide();
    m_histogramDock->raise();

    m_compare = new CompareWidget(this);
    m_compareDock = new QDockWidget(tr("Comparison"), this);
    m_compareDock->setObjectName(QStringLiteral("compareDock"));
    m_compareDock->setWidget(m_compare);
    addDockWidget(Qt::BottomDockWidgetArea, m_compareDock);
    m_compareDock->hide();

    m_analysis = new AnalysisRunner(this);
    connect(m_analysis, &AnalysisRunner::finished, this, &MainWindow::showAnalysis);
    m_analysisTimer = new QTimer(this);
    m_analysisTimer->setSingleShot(true);
    m_analysisTimer->setInterval(150);
    connect(m_analysisTimer, &QTimer::timeout, this, &MainWindow::refreshAnalysis);
    for (QDockWidget* d : {m_histogramDock, m_spectrumDock, m_featuresDock})
        connect(d, &QDockWidget::visibilityChanged, this, [this](bool on) {
            if (on) m_analysisTimer->start();
        });

    // A large remote tensor is read whole only when asked, from the heatmap's note or
    // the statistics panel's button; either reads it for both.
    HeatmapWidget* heatmap = m_view->heatmap();
    const auto readWhole = [this] {
        m_readWhole = true;
        if (m_view->heatmap()->awaitsWholeFetch()) m_view->heatmap()->fetchWhole();
        refreshAnalysis();
    };
    connect(heatmap, &HeatmapWidget::wholeFetchRequested, this, readWhole);
    connect(m_stats, &StatsPanel::computeRequested, this, readWhole);

    // Keyboard cursor on the heatmap follows and drives the cell table.
    connect(heatmap, &HeatmapWidget::cursorMoved, this, [this](int64_t row, int64_t col) {
        int64_t r = 0, c = 0;
        if (m_view->toMatrixCell(row, col, &r, &c)) m_table->selectCell(r, c);
    });
    connect(heatmap, &HeatmapWidget::editRequested, this, [this](int64_t row, int64_t col) {
        int64_t r = 0, c = 0;
        if (!m_view->toMatrixCell(row, col, &r, &c) || !m_table->cellModel()) return;
        m_table->selectCell(r, c);
        m_cellsDock->show();
        m_cellsDock->raise();
        m_table->edit(m_table->currentIndex());
    });
}

void MainWindow::createAnalysisActions(QMenu* file, QMenu* edit, QMenu* view) {
    QAction* quit = file->actions().isEmpty() ? nullptr : file->actions().last();
    QAction* compare = new QAction(tr("&Compare With…"), this);
    connect(compare, &QAction::triggered, this, [this] {
        const QString dir = settings().value(QStringLiteral("lastDirectory")).toString();
        const QString path = QFileDialog::getOpenFileName(this, tr("Compare With"), dir);
        if (!path.isEmpty()) compareWith(path);
    });
    QAction* exportAction = new QAction(tr("&Export Image…"), this);
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    connect(exportAction, &QAction::triggered, this, &MainWindow::exportImage);
    file->insertAction(quit, compare);
    file->insertAction(quit, exportAction);
    file->insertSeparator(quit);
    QAction* copy = new QAction(tr("Copy &Image"), this);
    copy->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    connect(copy, &QAction::triggered, this, &MainWindow::copyImage);
    edit->insertAction(edit->actions().value(3), copy);
    view->addSeparator();
    for (QDockWidget* d : {m_histogramDock, m_spectrumDock, m_featuresDock, m_compareDock})
        view->addAction(d->toggleViewAction());
}

void MainWindow::refreshAnalysis() {
    if (!m_session->file() || m_session->shownIndex() < 0 || !m_session->displayed() ||
        !m_session->displayed()->problem.isEmpty() || m_session->displayed()->numel() == 0) {
        if (m_analysis) m_analysis->cancel();
        m_histogram->clear();
        m_spectrum->clear();
        m_features->clear();
        return;
    }
    // Statistics, histogram and norms read every value: tile by tile from the file
    // (through the edits), on a worker for all but small tensors. The spectrum of a
    // large matrix starts only when asked for: it reads the matrix several times.
    const TensorPtr t = m_session->displayed();
    AnalysisRequest q;
    q.tensor = t;
    QString error;
    if (m_session->document() && m_session->document()->isEdited(m_session->shownIndex()))
        q.original = m_session->document()->originalView(m_session->shownIndex(), *t, &error);
    q.row0 = m_session->selection().row;
    q.col0 = m_session->selection().col;
    q.nRows = m_session->selection().rows;
    q.nCols = m_session->selection().cols;
    q.stats = true;
    q.histogram = !m_histogramDock->isHidden();
    q.features = t->rank() == 2 && !m_featuresDock->isHidden();
    q.bins = m_histogram->binCount();
    const int64_t n = t->numel();
    const bool spectrumDue =
        t->rank() >= 2 && !m_spectrumDock->isHidden() && m_spectrumGeneration != m_valuesGeneration;
    // A large tensor on a server is read whole only when asked (Read All, Compute).
    const int64_t remote = t->remoteBytes();
    const bool remoteLarge =
        !m_readWhole && n > kAnalysisInBackground && remote > HeatmapWidget::remoteFetchLimit();
    const bool spectrumNow = spectrumDue && ((n <= s_spectrumAutoLimit && !remoteLarge) ||
                                             m_spectrumRequested == m_valuesGeneration);
    if (spectrumNow) {
        m_spectrumGeneration = m_valuesGeneration;
        m_spectrum->setSource(tensorSource(t), t->name);
    } else if (spectrumDue && remoteLarge && n <= s_spectrumAutoLimit) {
        m_spectrum->offer(tr("The singular values of %1 read all %2 from the server.")
                              .arg(t->name, QLocale().formattedDataSize(remote)));
    } else if (spectrumDue) {
        m_spectrum->offer(tr("%1 is %2 × %3: its singular values take a while to compute.")
                              .arg(t->name)
                              .arg(t->rows())
                              .arg(t->cols()));
    } else if (t->rank() < 2) {
        m_spectrumGeneration = ~quint64(0);
        m_spectrum->clear(tr("%1 has rank %2: no singular values.").arg(t->name).arg(t->rank()));
    }
    if (remoteLarge) {
        // Statistics read every value: of a large tensor on a server, only when asked.
        m_analysis->cancel();
        const QString size = QLocale().formattedDataSize(remote);
        m_stats->offer(*m_session->file(), t,
                       tr("Statistics read every value: %1 from the server.").arg(size),
                       tr("Read All %1").arg(size));
        m_histogram->showMessage(
            tr("The histogram reads all %1\nfrom the server:\nRead All in Statistics.").arg(size));
        m_features->clear();
        return;
    }
    if (t->rank() != 2) m_features->clear();
    if (n <= kAnalysisInBackground) {
        m_analysis->cancel();
        AnalysisResult r = AnalysisRunner::run(q);
        showAnalysis(r);
        return;
    }
    m_stats->showError(*m_session->file(), t, tr("computing…"));
    if (q.histogram) m_histogram->showPending(t->name);
    m_analysis->start(std::move(q));
}

void MainWindow::showAnalysis(const AnalysisResult& r) {
    const TensorPtr t = m_session->displayed();
    if (!t || !m_session->file()) return;
    if (r.hasStats)
        m_stats->showStats(*m_session->file(), t, r.stats);
    else
        m_stats->showError(*m_session->file(), t, r.error);
    const QString what = m_session->selection().rows > 0
                             ? tr("%1 (selection, %2 values)")
                                   .arg(t->name)
                                   .arg(m_session->selection().rows * m_session->selection().cols)
                             : tr("%1 (%2 values)").arg(t->name).arg(t->numel());
    if (r.hasHistogram) m_histogram->showHistograms(r.histogram, r.originalHistogram, what);
    if (r.hasFeatures) m_features->setNorms(r.inputNorms, r.outputNorms);
    if (!r.error.isEmpty() && r.hasStats) statusBar()->showMessage(r.error, 8000);
}

void MainWindow::setSpectrumAutoLimit(int64_t elements) {
    s_spectrumAutoLimit = std::max<int64_t>(elements, 0);
}

void MainWindow::compareWith(const QString& path) {
    if (!m_session->file()) {
        statusBar()->showMessage(tr("Open a file first."), 5000);
        return;
    }
    m_compareDock->show();
    m_compare->showMessage(tr("Comparing with %1…").arg(path));
    struct Result {
        std::shared_ptr<WeightFile> other;
        std::vector<TensorChange> changes;
        QString error;
    };
    auto* watcher = new QFutureWatcher<Result>(this);
    std::shared_ptr<const WeightFile> mine = m_session->file();
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, mine] {
        watcher->deleteLater();
        Result r = watcher->result();
        if (!r.other) {
            m_compare->showMessage(tr("Cannot compare: %1").arg(r.error));
            Q_EMIT comparisonReady(r.error);
            return;
        }
        m_compare->setComparison(mine, r.other, std::move(r.changes));
        Q_EMIT comparisonReady(QString());
    });
    watcher->setFuture(QtConcurrent::run([path, mine] {
        Result r;
        std::unique_ptr<WeightFile> f = openWeightFile(path, &r.error);
        if (!f) return r;
        r.other = std::shared_ptr<WeightFile>(std::move(f));
        r.changes = compareFiles(*mine, *r.other);
        return r;
    }));
}

void MainWindow::exportImage() {
    auto* plot = qobject_cast<QCustomPlot*>(m_view->currentWidget());
    if (!plot) {
        statusBar()->showMessage(tr("Nothing to export: show a tensor first."), 5000);
        return;
    }
    ExportDialog dialog(plot, this);
    const QString dir = settings().value(QStringLiteral("lastDirectory")).toString();
    const TensorPtr t = m_session->shownIndex() >= 0 ? m_session->displayed() : nullptr;
    if (t && t->rank() >= 2 && plot == m_view->heatmap() && !m_view->isSliced() &&
        m_session->file()) {
        // The tensor's own 2-D view: "in" / "out" for a Linear weight, else its dims.
        QString x, y;
        defaultAxisLabels(*t, layerKindOf(*m_session->file(), t->name), &x, &y);
        dialog.setAxisLabels(x, y);
    }
    QString base = t ? t->name : QStringLiteral("plot");
    base.replace(QLatin1Char('/'), QLatin1Char('_'));
    dialog.setPath(QDir(dir.isEmpty() ? QDir::homePath() : dir).filePath(base + ".png"));
    if (dialog.exec() == QDialog::Accepted)
        statusBar()->showMessage(tr("Saved %1").arg(dialog.path()), 5000);
}

void MainWindow::copyImage() {
    auto* plot = qobject_cast<QCustomPlot*>(m_view->currentWidget());
    if (!plot) return;
    QApplication::clipboard()->setImage(plotImage(plot, plot->width(), plot->height()));
    statusBar()->showMessage(tr("Image copied to the clipboard"), 3000);
}

} // namespace ws
