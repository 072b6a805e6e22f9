// Main window, editing: the document, the Edit menu and toolbar, the selection,
// the cell table, undo history, difference mode and views following edits.
#include "MainWindow.h"

#include "BarChartWidget.h"
#include "CellTableView.h"
#include "EditExpression.h"
#include "FileInfoPanel.h"
#include "HeatmapWidget.h"
#include "LayerTreeModel.h"
#include "LayerTreeView.h"
#include "SliceControls.h"
#include "StatsPanel.h"
#include "TensorView.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFileInfo>
#include <QFormLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QThread>
#include <QToolBar>
#include <QUndoGroup>
#include <QUndoView>
#include <QUrl>
#include <random>

namespace ws {

namespace {

// Asks for \a count numbers (locale-independent); false when cancelled.
bool askNumbers(QWidget* parent, const QString& title, const QStringList& labels,
                const QStringList& defaults, QList<double>* out) {
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto* form = new QFormLayout(&dialog);
    QList<QLineEdit*> edits;
    for (int i = 0; i < labels.size(); ++i) {
        auto* e = new QLineEdit(defaults.value(i), &dialog);
        e->setPlaceholderText(QStringLiteral("e.g. 0.5, -1e-3, nan"));
        form->addRow(labels[i], e);
        edits << e;
    }
    // A pre-filled number is replaced by what is typed, not appended to.
    if (!edits.isEmpty()) {
        edits.first()->selectAll();
        edits.first()->setFocus();
    }
    auto* error = new QLabel(&dialog);
    error->setStyleSheet(QStringLiteral("color: #b00020"));
    form->addRow(error);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, [&] {
        out->clear();
        for (QLineEdit* e : edits) {
            double v = 0;
            if (!parseNumber(e->text().trimmed(), &v)) {
                error->setText(QObject::tr("'%1' is not a number").arg(e->text()));
                e->setFocus();
                return;
            }
            *out << v;
        }
        dialog.accept();
    });
    return dialog.exec() == QDialog::Accepted;
}

} // namespace

void MainWindow::createDocks() {
    m_table = new CellTableView(this);
    m_cellsDock = new QDockWidget(tr("Cells"), this);
    m_cellsDock->setObjectName(QStringLiteral("cellsDock"));
    m_cellsDock->setWidget(m_table);
    addDockWidget(Qt::BottomDockWidgetArea, m_cellsDock);

    m_undoGroup = new QUndoGroup(this);
    m_undoView = new QUndoView(m_undoGroup, this);
    m_undoView->setEmptyLabel(tr("<opened file>"));
    m_historyDock = new QDockWidget(tr("History"), this);
    m_historyDock->setObjectName(QStringLiteral("historyDock"));
    m_historyDock->setWidget(m_undoView);
    addDockWidget(Qt::RightDockWidgetArea, m_historyDock);
    resizeDocks({m_cellsDock}, {180}, Qt::Vertical);
    createAnalysisDocks();
}

void MainWindow::createEditMenu(QMenu* edit) {
    m_undoAction = m_undoGroup->createUndoAction(this, tr("&Undo"));
    m_undoAction->setShortcuts(QKeySequence::Undo);
    m_undoAction->setIcon(style()->standardIcon(QStyle::SP_ArrowBack));
    m_redoAction = m_undoGroup->createRedoAction(this, tr("&Redo"));
    m_redoAction->setShortcuts(QKeySequence::Redo); // Ctrl+Shift+Z and Ctrl+Y
    m_redoAction->setIcon(style()->standardIcon(QStyle::SP_ArrowForward));
    edit->addAction(m_undoAction);
    edit->addAction(m_redoAction);
    edit->addSeparator();

    m_editBar = addToolBar(tr("Edit"));
    m_editBar->setObjectName(QStringLiteral("editToolBar"));
    m_editBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    // The toolbar keeps short labels; the menu's actions name the step ("Undo Fill ...").
    for (QAction* source : {m_undoAction, m_redoAction}) {
        QAction* proxy =
            m_editBar->addAction(source->icon(), source == m_undoAction ? tr("Undo") : tr("Redo"));
        connect(proxy, &QAction::triggered, source, &QAction::trigger);
        const auto sync = [proxy, source] {
            proxy->setEnabled(source->isEnabled());
            proxy->setToolTip(source->text().remove(QLatin1Char('&')));
        };
        connect(source, &QAction::changed, proxy, sync);
        sync();
    }
    m_editBar->addSeparator();

    using K = EditOperation::Kind;
    auto add = [&](const QString& text, const QString& tip, auto slot) {
        QAction* a = edit->addAction(text, this, slot);
        a->setToolTip(tip);
        a->setStatusTip(tip);
        m_editBar->addAction(a);
        m_editActions << a;
        return a;
    };
    add(tr("&Fill with Value…"), tr("Set the selection (or the whole tensor) to one value"),
        [this] { askAndApply(K::Set); });
    add(tr("&Add…"), tr("Add a number to the selection"), [this] { askAndApply(K::Add); });
    add(tr("&Multiply…"), tr("Multiply the selection by a number"),
        [this] { askAndApply(K::Multiply); });
    m_zeroAction = add(tr("Set to &Zero"), tr("Set the selection to zero"), [this] {
        if (confirmWholeTensor(
                tr("Set every value of %1 to zero?")
                    .arg(m_session->displayed() ? m_session->displayed()->name : QString())))
            applyOperation(EditOperation::set(0));
    });
    add(tr("&Clamp to Range…"), tr("Clamp the selection to [min, max]"),
        [this] { askAndApply(K::Clamp); });
    m_reinitAction = add(tr("Re-&initialize"),
                         tr("Draw new values as PyTorch's reset_parameters does for the layer"),
                         [this] { reinitialize(); });
    add(tr("&Restore Original"), tr("Put back the values the file holds"),
        [this] { applyOperation(EditOperation::restore()); });
    edit->addSeparator();
    createClipboardActions(edit);
    QAction* none = edit->addAction(tr("Select &None"), this, &MainWindow::clearSelection);
    none->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    edit->addSeparator();
    QAction* prefs = edit->addAction(tr("&Preferences…"), this, &MainWindow::showPreferences);
    prefs->setShortcut(QKeySequence::Preferences);
    prefs->setMenuRole(QAction::PreferencesRole);
}

void MainWindow::connectEditing() {
    m_refreshTimer = new QTimer(this);
    m_refreshTimer->setSingleShot(true);
    m_refreshTimer->setInterval(0);
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refreshShown);
    m_statsTimer = new QTimer(this);
    m_statsTimer->setSingleShot(true);
    connect(m_statsTimer, &QTimer::timeout, this, &MainWindow::refreshAnalysis);

    HeatmapWidget* heatmap = m_view->heatmap();
    // The heatmap may show a slice of an n-D tensor: map its cells to the 2-D view's.
    connect(m_table, &CellTableView::currentCellChanged, this,
            [this, heatmap](int64_t row, int64_t col) {
                int64_t r = -1, c = -1;
                if (!m_view->fromMatrixCell(row, col, &r, &c)) r = c = -1;
                heatmap->setCurrentCell(r, c);
            });
    connect(heatmap, &HeatmapWidget::cellClicked, this, [this, heatmap](int64_t row, int64_t col) {
        // A click inside a multi-cell selection moves the current cell within it (to read
        // a value) and keeps the selection; a click elsewhere selects that cell alone.
        const auto inside = [row, col](int64_t r0, int64_t c0, int64_t nr, int64_t nc) {
            return row >= r0 && row < r0 + nr && col >= c0 && col < c0 + nc;
        };
        const auto& slice = m_session->sliceSelection();
        const TensorSession::Selection& sel = m_session->selection();
        const bool keep =
            slice ? m_view->isSliced() && inside(slice->row0, slice->col0, slice->rows, slice->cols)
                  : !m_view->isSliced() && !sel.isEmpty() && sel.rows * sel.cols > 1 &&
                        inside(sel.row, sel.col, sel.rows, sel.cols);
        if (!keep) clearSelection();
        heatmap->setCurrentCell(row, col);
        int64_t r = 0, c = 0;
        if (m_view->toMatrixCell(row, col, &r, &c)) {
            if (keep)
                m_table->moveCurrentCell(r, c);
            else
                m_table->selectCell(r, c);
        }
    });
    connect(heatmap, &HeatmapWidget::rectSelected, this,
            [this](int64_t r0, int64_t c0, int64_t nr, int64_t nc) {
                if (m_view->isSliced())
                    selectInSlice(r0, c0, nr, nc);
                else
                    setSelection(r0, c0, nr, nc);
            });
    connect(m_view->barChart(), &BarChartWidget::rangeSelected, this,
            [this](int64_t first, int64_t count) { setSelection(0, first, 1, count); });
    connect(m_table, &CellTableView::cellSelectionChanged, this, [this] {
        int64_t r0, c0, nr, nc;
        if (m_table->selectedRect(&r0, &c0, &nr, &nc))
            setSelection(r0, c0, nr, nc);
        else
            clearSelection();
    });
    connect(m_table->cellModel(), &CellTableModel::editRejected, this, [this](const QString& m) {
        statusBar()->showMessage(tr("Not changed: %1").arg(m), 8000);
    });
    connect(m_table->cellModel(), &CellTableModel::storedDiffers, this,
            [this](double, double, const QString& m) { statusBar()->showMessage(m, 15000); });
    connect(
        m_view->barChart(), &BarChartWidget::barDragged, this,
        [this](int64_t index, double value, int key) {
            if (!m_session->document() || m_session->shownIndex() < 0) return;
            const Tensor& t = *m_session->displayed();
            QString error;
            if (!m_session->document()->edit(m_session->shownIndex(),
                                             m_session->toBase(Region::rect2d(t, 0, index, 1, 1)),
                                             EditOperation::set(value), &error, key))
                statusBar()->showMessage(error, 8000);
        });
    // Another slice shows other cells: a rectangle selected in the old one goes.
    connect(m_view->sliceControls(), &SliceControls::changed, this, [this] {
        if (m_session->sliceSelection()) clearSelection();
    });
    m_tree->model()->setEditedPredicate([this](int i) {
        return m_session->document() && i >= 0 && m_session->document()->isEdited(i);
    });
}

void MainWindow::setDocument(std::unique_ptr<WeightFile> file) {
    if (m_analysis) m_analysis->cancel();
    m_table->cellModel()->setTensor(nullptr, -1);
    // Workers may still hold the old file; the document goes when the last one lets go.
    m_session->setDocument(std::move(file));
    m_fileInfoPanel->setFile(*m_session->file());
    m_session->document()->setUndoBudget(qint64(undoBudgetMiB()) << 20);
    m_undoGroup->addStack(m_session->document()->undoStack());
    m_undoGroup->setActiveStack(m_session->document()->undoStack());
    Document* doc = m_session->document().get();
    connect(doc, &Document::valuesChanged, this, &MainWindow::onValuesChanged);
    connect(doc, &Document::modifiedChanged, this, [this] { updateTitle(); });
    connect(doc, &Document::saved, this, [this](const QString& path) {
        updateTitle();
        addRecent(path);
        m_tree->model()->refreshEdited();
        // The original is what was saved now: differences start again from zero.
        if (m_diffAction->isChecked() && m_session->shownIndex() >= 0) showDisplayed();
    });
    updateTitle();
    updateActions();
}

void MainWindow::updateTitle() {
    if (!m_session->document()) {
        setWindowTitle(QStringLiteral("WeightScope"));
        return;
    }
    const QString path = m_session->document()->file().path;
    if (isUrl(path)) { // where it came from, read-only
        setWindowTitle(QStringLiteral("WeightScope — %1 (remote, read-only)[*]")
                           .arg(QUrl(path).toDisplayString(QUrl::RemoveUserInfo)));
        setWindowFilePath(QString());
    } else {
        setWindowTitle(QStringLiteral("WeightScope — %1[*]").arg(QFileInfo(path).fileName()));
        setWindowFilePath(path);
    }
    setWindowModified(m_session->document()->isModified());
}

void MainWindow::updateActions() {
    const bool canEdit = m_session->document() && m_session->shownIndex() >= 0;
    for (QAction* a : std::as_const(m_editActions))
        a->setEnabled(canEdit);
    // Re-initialize exists only where PyTorch defines an initializer, and names it.
    const QString init = canEdit ? initializerName(m_session->shownIndex()) : QString();
    m_reinitAction->setEnabled(!init.isEmpty());
    m_reinitAction->setText(init.isEmpty() ? tr("Re-&initialize")
                                           : tr("Re-&initialize (%1)").arg(init));
    m_reinitAction->setToolTip(
        init.isEmpty()
            ? tr("Re-initialize is defined for Linear, Conv and Embedding weights "
                 "and biases")
            : tr("Draw new values with %1, as PyTorch's reset_parameters does").arg(init));
    if (m_copyValuesAction) m_copyValuesAction->setEnabled(canEdit);
    if (m_pasteValuesAction) m_pasteValuesAction->setEnabled(canEdit);
    if (m_saveAction) m_saveAction->setEnabled(m_session->document() != nullptr);
    if (m_saveAsAction) m_saveAsAction->setEnabled(m_session->document() != nullptr);
}

void MainWindow::onValuesChanged(int tensorIndex, const Region& region) {
    m_tree->model()->refreshEdited();
    if (tensorIndex != m_session->shownIndex() || !m_session->displayed()) return;
    ++m_valuesGeneration;
    const Tensor& t = *m_session->displayed();
    int64_t r0 = 0, c0 = 0, nr = 0, nc = 0;
    m_session->fromBase(region).bounds2d(t, &r0, &c0, &nr, &nc);
    // Repaint once per event-loop turn, covering everything changed since the last one.
    if (m_dirtyRow1 < m_dirtyRow0) {
        m_dirtyRow0 = r0, m_dirtyCol0 = c0;
        m_dirtyRow1 = r0 + nr, m_dirtyCol1 = c0 + nc;
    } else {
        m_dirtyRow0 = std::min(m_dirtyRow0, r0), m_dirtyCol0 = std::min(m_dirtyCol0, c0);
        m_dirtyRow1 = std::max(m_dirtyRow1, r0 + nr), m_dirtyCol1 = std::max(m_dirtyCol1, c0 + nc);
    }
    m_refreshTimer->start();
    // Statistics read every value: on large tensors wait for a pause in typing or dragging.
    m_statsTimer->start(t.numel() > (int64_t(1) << 22) ? 300 : 0);
}

void MainWindow::refreshShown() {
    const int64_t r0 = m_dirtyRow0, c0 = m_dirtyCol0;
    const int64_t nr = m_dirtyRow1 - r0, nc = m_dirtyCol1 - c0;
    m_dirtyRow1 = m_dirtyCol1 = -1;
    m_dirtyRow0 = m_dirtyCol0 = 0;
    if (m_session->shownIndex() < 0 || !m_session->displayed() || nr <= 0 || nc <= 0) return;
    m_view->refreshValues(r0, c0, nr, nc);
}

void MainWindow::setDifferenceMode(bool on) {
    Q_UNUSED(on)
    // Same tensor, other values: keep where the user zoomed and panned to.
    HeatmapWidget* heatmap = m_view->heatmap();
    const QCPRange hx = heatmap->xAxis->range(), hy = heatmap->yAxis->range();
    const QCPRange bx = m_view->barChart()->xAxis->range();
    if (m_session->shownIndex() >= 0 && m_session->displayed()) {
        showDisplayed();
        heatmap->xAxis->setRange(hx);
        heatmap->yAxis->setRange(hy);
        m_view->barChart()->xAxis->setRange(bx);
        heatmap->replot(QCustomPlot::rpQueuedReplot);
        m_view->barChart()->replot(QCustomPlot::rpQueuedReplot);
    } else {
        m_view->setDifferenceMode(m_diffAction->isChecked());
    }
    showSelection();
}

void MainWindow::selectInSlice(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (m_session->shownIndex() < 0) return;
    const SliceSpec spec = m_view->sliceControls()->spec();
    if (spec.mode != SliceSpec::Mode::Slice) {
        statusBar()->showMessage(tr("A mosaic shows many kernels: select rectangles in the "
                                    "Slice view or the flattened view"),
                                 6000);
        showSelection();
        return;
    }
    m_session->selectInSlice(spec.rowAxis, spec.colAxis, spec.index, row0, col0, nRows, nCols);
    showSelection();
}

void MainWindow::setSelection(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (m_session->shownIndex() < 0) return;
    m_session->selectRect(row0, col0, nRows, nCols);
    showSelection();
}

void MainWindow::clearSelection() {
    m_session->clearSelection();
    showSelection();
}

void MainWindow::showSelection() {
    if (m_analysisTimer && m_session->shownIndex() >= 0) m_analysisTimer->start();
    if (m_session->sliceSelection())
        m_view->heatmap()->setSelectionRect(
            m_session->sliceSelection()->row0, m_session->sliceSelection()->col0,
            m_session->sliceSelection()->rows, m_session->sliceSelection()->cols);
    else
        m_view->heatmap()->setSelectionRect(m_session->selection().row, m_session->selection().col,
                                            m_view->isSliced() ? 0 : m_session->selection().rows,
                                            m_session->selection().cols);
    m_view->barChart()->setSelectionRange(
        m_session->selection().col,
        m_session->selection().rows > 0 ? m_session->selection().cols : 0);
    if (m_session->shownIndex() < 0)
        m_selectionLabel->clear();
    else if (m_session->sliceSelection())
        m_selectionLabel->setText(
            tr("Selection: slice rows %1–%2, columns %3–%4 (%5 cells)")
                .arg(m_session->sliceSelection()->row0)
                .arg(m_session->sliceSelection()->row0 + m_session->sliceSelection()->rows - 1)
                .arg(m_session->sliceSelection()->col0)
                .arg(m_session->sliceSelection()->col0 + m_session->sliceSelection()->cols - 1)
                .arg(m_session->sliceSelection()->rows * m_session->sliceSelection()->cols));
    else if (m_session->selection().rows == 0)
        m_selectionLabel->setText(tr("No selection: edits apply to the whole tensor"));
    else
        m_selectionLabel->setText(
            tr("Selection: rows %1–%2, columns %3–%4 (%5 cells)")
                .arg(m_session->selection().row)
                .arg(m_session->selection().row + m_session->selection().rows - 1)
                .arg(m_session->selection().col)
                .arg(m_session->selection().col + m_session->selection().cols - 1)
                .arg(m_session->selection().rows * m_session->selection().cols));
}

bool MainWindow::targetRegion(Region* out) const {
    return m_session->editTarget(out);
}

bool MainWindow::applyOperation(const EditOperation& op) {
    Region region;
    if (!targetRegion(&region)) return false;
    QString error;
    if (!m_session->document()->edit(m_session->shownIndex(), m_session->toBase(region), op,
                                     &error)) {
        statusBar()->showMessage(tr("Not changed: %1").arg(error), 8000);
        return false;
    }
    statusBar()->showMessage(tr("%1: %2 on %3 values")
                                 .arg(m_session->displayed()->name, op.describe())
                                 .arg(region.numel()),
                             5000);
    return true;
}

bool MainWindow::reinitialize() {
    Region region;
    if (!targetRegion(&region)) return false;
    const QString init = initializerName(m_session->shownIndex());
    if (init.isEmpty()) {
        statusBar()->showMessage(
            tr("Not changed: %1 has no initializer in PyTorch (Linear, Conv and Embedding "
               "layers have)")
                .arg(m_session->displayed()->name),
            8000);
        return false;
    }
    if (!confirmWholeTensor(
            tr("Re-initialize every value of %1 with %2?").arg(m_session->displayed()->name, init)))
        return false;
    QString error;
    // Embedding: normal(0, 1); Linear and Conv weights (kaiming_uniform with a = √5)
    // and biases both come out U(-1/√fan_in, 1/√fan_in).
    bool ok = false;
    if (init.startsWith(QLatin1String("normal"))) {
        static std::random_device device;
        const uint64_t seed = (uint64_t(device()) << 32) ^ device();
        ok = m_session->document()->edit(m_session->shownIndex(), m_session->toBase(region),
                                         EditOperation::normal(0, 1, seed), &error);
    } else {
        ok = m_session->document()->resetParameters(m_session->shownIndex(),
                                                    m_session->toBase(region), &error);
    }
    if (!ok) {
        QMessageBox::warning(this, tr("Cannot Re-initialize"), error);
        return false;
    }
    return true;
}

void MainWindow::askAndApply(EditOperation::Kind kind) {
    if (!m_session->document() || m_session->shownIndex() < 0) return;
    const Tensor& t = *m_session->displayed();
    Region target;
    targetRegion(&target);
    const bool selected = m_session->selection().rows > 0 || m_session->sliceSelection();
    const QString where =
        selected ? tr("the selection (%1 cells)").arg(target.numel()) : tr("all of %1").arg(t.name);
    QList<double> v;
    using K = EditOperation::Kind;
    if (kind == K::Clamp) {
        if (!askNumbers(this, tr("Clamp %1").arg(where), {tr("Minimum:"), tr("Maximum:")},
                        {QStringLiteral("-1"), QStringLiteral("1")}, &v))
            return;
        if (v[0] > v[1]) {
            QMessageBox::warning(this, tr("Clamp"), tr("The minimum is larger than the maximum."));
            return;
        }
        applyOperation(EditOperation::clamp(v[0], v[1]));
        return;
    }
    const QString title = kind == K::Set   ? tr("Fill %1").arg(where)
                          : kind == K::Add ? tr("Add to %1").arg(where)
                                           : tr("Multiply %1").arg(where);
    const QString label = kind == K::Set   ? tr("Value:")
                          : kind == K::Add ? tr("Add:")
                                           : tr("Factor:");
    if (!askNumbers(this, title, {label}, {kind == K::Multiply ? QStringLiteral("1") : QString()},
                    &v))
        return;
    if (kind == K::Set) {
        double value = 0;
        QString error;
        if (!CellTableModel::parseCellValue(QString::number(v[0], 'g', 17), t.dtype, &value,
                                            &error)) {
            QMessageBox::warning(this, title, error);
            return;
        }
        if (!confirmWholeTensor(
                tr("Set every value of %1 to %2?").arg(t.name, QString::number(value, 'g', 17))))
            return;
        applyOperation(EditOperation::set(value));
    } else {
        applyOperation(kind == K::Add ? EditOperation::add(v[0]) : EditOperation::multiply(v[0]));
    }
}

} // namespace ws
