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
#include "HeatmapPooling.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "Parallel.h"
#include "SpectrumWidget.h"
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
    m_featuresDock->hide();

    m_compare = new CompareWidget(this);
    m_compareDock = new QDockWidget(tr("Comparison"), this);
    m_compareDock->setObjectName(QStringLiteral("compareDock"));
    m_compareDock->setWidget(m_compare);
    addDockWidget(Qt::BottomDockWidgetArea, m_compareDock);
    m_compareDock->hide();

    m_analysisTimer = new QTimer(this);
    m_analysisTimer->setSingleShot(true);
    m_analysisTimer->setInterval(150);
    connect(m_analysisTimer, &QTimer::timeout, this, &MainWindow::refreshAnalysis);
    for (QDockWidget* d : {m_histogramDock, m_spectrumDock, m_featuresDock})
        connect(d, &QDockWidget::visibilityChanged, this, [this](bool on) {
            if (on) m_analysisTimer->start();
        });

    // Keyboard cursor on the heatmap follows and drives the cell table.
    HeatmapWidget* heatmap = m_view->heatmap();
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

namespace {

/// What the histogram and feature-importance docks need, computed on any thread:
/// from \a values (the shown values, or a snapshot of them) or, for a tensor not
/// edited, from \a file without any copy of its values.
struct AnalysisJob {
    std::shared_ptr<const MatrixF> values;
    std::shared_ptr<const MatrixSource> file;
    std::shared_ptr<const Document> doc; ///< for the original values of an edited tensor
    int index = -1;
    TensorPtr tensor;
    bool edited = false, histogram = false, features = false;
    int64_t row0 = 0, col0 = 0, nRows = 0, nCols = 0; ///< the selection; nRows 0: none
    int64_t rows = 0, cols = 0;
    int bins = 50;
};

struct AnalysisResult {
    std::pair<Histogram, Histogram> histograms; ///< current, original (after edits)
    std::vector<double> inputs, outputs;        ///< column and row norms
};

AnalysisResult analyse(const AnalysisJob& j) {
    AnalysisResult r;
    QString error;
    const bool selected = j.nRows > 0;
    if (j.file) { // not edited: no original to overlay either
        if (j.histogram)
            histogramOf(*j.file, selected ? j.row0 : 0, selected ? j.col0 : 0,
                        selected ? j.nRows : j.rows, selected ? j.nCols : j.cols, j.bins,
                        &r.histograms.first, &error);
        if (j.features) normsOf(*j.file, &r.inputs, &r.outputs, &error);
        return r;
    }
    if (j.histogram) {
        MatrixF block, orig;
        const MatrixF* shown = j.values.get();
        if (selected) {
            block = j.values->block(j.row0, j.col0, j.nRows, j.nCols);
            shown = &block;
        }
        const bool haveOrig = j.edited &&
                              j.doc->originalValues(j.index, *j.tensor, &orig, &error) &&
                              orig.rows() == j.rows && orig.cols() == j.cols;
        if (haveOrig && selected) orig = MatrixF(orig.block(j.row0, j.col0, j.nRows, j.nCols));
        r.histograms = HistogramWidget::compute(shown->data(), int64_t(shown->size()),
                                                haveOrig ? orig.data() : nullptr,
                                                haveOrig ? int64_t(orig.size()) : 0, j.bins);
    }
    if (j.features) {
        r.inputs = columnNorms(*j.values);
        r.outputs = rowNorms(*j.values);
    }
    return r;
}

} // namespace

void MainWindow::refreshAnalysis() {
    if (!m_file || m_shownIndex < 0 || !m_values || m_values->size() == 0) {
        m_histogram->clear();
        m_spectrum->clear();
        m_features->clear();
        return;
    }
    // Embedding-sized tensors: histogram and norms read every value (hundreds of
    // milliseconds), so they run on a worker: from the file for a tensor not edited
    // (no copy of its values at all), else from a snapshot of the values (copied
    // here, into a buffer reused while no worker holds it). The spectrum of a very
    // large matrix starts only when asked for: it is long, and needs the snapshot.
    const TensorPtr t = m_displayed;
    const bool background = m_values->size() >= kAnalysisInBackground;
    AnalysisJob job;
    job.tensor = t;
    job.doc = m_doc;
    job.index = m_shownIndex;
    job.edited = m_doc && m_doc->isEdited(m_shownIndex);
    job.histogram = !m_histogramDock->isHidden();
    job.features = t->rank() == 2 && !m_featuresDock->isHidden();
    job.row0 = m_selRow;
    job.col0 = m_selCol;
    job.nRows = m_selRows;
    job.nCols = m_selCols;
    job.rows = m_values->rows();
    job.cols = m_values->cols();
    job.bins = m_histogram->binCount();
    if (background && !job.edited) job.file = fileSource(*t);
    const bool spectrumDue =
        t->rank() >= 2 && !m_spectrumDock->isHidden() && m_spectrumGeneration != m_valuesGeneration;
    const bool spectrumNow = spectrumDue && (m_values->size() <= s_spectrumAutoLimit ||
                                             m_spectrumRequested == m_valuesGeneration);
    std::shared_ptr<const MatrixF> spectrumInput;
    if (!background) {
        job.values = m_values; // analysed right here, before any edit can change them
        if (spectrumNow) spectrumInput = std::make_shared<const MatrixF>(*m_values);
    } else if (spectrumNow || ((job.histogram || job.features) && !job.file)) {
        if (m_snapshotGeneration != m_valuesGeneration || !m_snapshot) {
            if (!m_snapshot || m_snapshot.use_count() > 1 ||
                m_snapshot->rows() != m_values->rows() || m_snapshot->cols() != m_values->cols()) {
                m_snapshot = std::make_shared<MatrixF>(m_values->rows(), m_values->cols());
                adviseHugePages(m_snapshot->data(), int64_t(m_snapshot->size()) * 4);
            }
            const float* from = m_values->data();
            float* to = m_snapshot->data();
            runParts(
                m_values->size(), threadsFor(m_values->size()),
                [from, to](int, int64_t b, int64_t e, QString*) {
                    std::copy(from + b, from + e, to + b);
                    return true;
                },
                nullptr);
            m_snapshotGeneration = m_valuesGeneration;
        }
        job.values = spectrumInput = m_snapshot;
    } else if (m_snapshot && m_snapshot.use_count() == 1) {
        m_snapshot.reset(); // not needed now: give the memory back
        m_snapshotGeneration = ~quint64(0);
    }
    if (spectrumNow) {
        m_spectrumGeneration = m_valuesGeneration;
        m_spectrum->setMatrix(spectrumInput, t->name);
    } else if (spectrumDue) {
        m_spectrum->offer(tr("%1 is %2 × %3: its singular values take a while to compute.")
                              .arg(t->name)
                              .arg(m_values->rows())
                              .arg(m_values->cols()));
    } else if (t->rank() < 2) {
        m_spectrumGeneration = ~quint64(0);
        m_spectrum->clear(tr("%1 has rank %2: no singular values.").arg(t->name).arg(t->rank()));
    }
    if (t->rank() != 2) m_features->clear();
    const quint64 run = ++m_analysisRun; // a run still going is out of date
    if (!job.histogram && !job.features) return;

    const QString what =
        job.nRows > 0 ? tr("%1 (selection, %2 values)").arg(t->name).arg(job.nRows * job.nCols)
                      : tr("%1 (%2 values)").arg(t->name).arg(job.rows * job.cols);
    const auto show = [this, what](AnalysisResult r) {
        if (!r.histograms.first.counts.empty())
            m_histogram->showHistograms(std::move(r.histograms.first),
                                        std::move(r.histograms.second), what);
        if (!r.inputs.empty()) m_features->setNorms(std::move(r.inputs), std::move(r.outputs));
    };
    if (!background) {
        show(analyse(job));
        return;
    }
    auto* watcher = new QFutureWatcher<AnalysisResult>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, run, show] {
        watcher->deleteLater();
        if (run == m_analysisRun) show(watcher->result()); // else the values or view changed
    });
    watcher->setFuture(QtConcurrent::run([job] { return analyse(job); }));
}

void MainWindow::setSpectrumAutoLimit(int64_t elements) {
    s_spectrumAutoLimit = std::max<int64_t>(elements, 0);
}

void MainWindow::compareWith(const QString& path) {
    if (!m_file) {
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
    std::shared_ptr<const WeightFile> mine = m_file;
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
    const TensorPtr t = m_shownIndex >= 0 ? m_displayed : nullptr;
    if (t && t->rank() >= 2 && plot == m_view->heatmap() && !m_view->isSliced() && m_file) {
        // The tensor's own 2-D view: "in" / "out" for a Linear weight, else its dims.
        QString x, y;
        defaultAxisLabels(*t, layerKindOf(*m_file, t->name), &x, &y);
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
