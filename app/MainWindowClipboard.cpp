// Main window, clipboard and history: Ctrl+C copies the selected cells as
// tab-separated exact values (what a spreadsheet pastes), Ctrl+V pastes such a block
// as one undo step after checking every value, and the undo history copies as a
// `weightscope edit` command line that reproduces it.
#include "MainWindow.h"

#include "CellTableView.h"
#include "EditExpression.h"
#include "EditUndoCommand.h"
#include "SliceControls.h"
#include "TensorView.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFileInfo>
#include <QMenu>
#include <QStatusBar>
#include <QUndoStack>
#include <QUndoView>

namespace ws {

namespace {

constexpr int64_t kMaxCopyCells = 1000000;
constexpr int64_t kMaxPasteCells = 100000;

QString shellQuote(const QString& s) {
    QString q = s;
    q.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + q + QLatin1Char('\'');
}

// The one-element region at C-order flat index \a flat of \a t.
Region elementRegion(const Tensor& t, int64_t flat) {
    Box box;
    box.start.assign(t.shape.size(), 0);
    box.size.assign(t.shape.size(), 1);
    for (int a = int(t.shape.size()) - 1; a >= 0; --a) {
        const int64_t n = std::max<int64_t>(t.shape[size_t(a)], 1);
        box.start[size_t(a)] = flat % n;
        flat /= n;
    }
    Region r;
    r.addBox(std::move(box));
    return r;
}

} // namespace

void MainWindow::createClipboardActions(QMenu* edit) {
    m_copyValuesAction = edit->addAction(tr("&Copy Values"), this, [this] { copyValues(); });
    m_copyValuesAction->setShortcut(QKeySequence::Copy);
    m_copyValuesAction->setToolTip(tr("Copy the selected cells as tab-separated values"));
    m_pasteValuesAction = edit->addAction(
        tr("&Paste Values"), this, [this] { pasteValues(QGuiApplication::clipboard()->text()); });
    m_pasteValuesAction->setShortcut(QKeySequence::Paste);
    m_pasteValuesAction->setToolTip(
        tr("Paste tab-separated values at the selection's top-left cell, as one undo step"));
    m_copyHistoryAction = edit->addAction(tr("Copy &History as Command"), this, [this] {
        int skipped = 0;
        QGuiApplication::clipboard()->setText(historyCommand(&skipped));
        statusBar()->showMessage(
            skipped == 0 ? tr("Copied the history as a weightscope edit command")
                         : tr("Copied the history; %1 step(s) the edit language cannot write "
                              "are listed as comments")
                               .arg(skipped),
            6000);
    });
    m_copyHistoryAction->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_H));
    m_copyHistoryAction->setToolTip(
        tr("Copy the steps up to the current one as a `weightscope edit` command line"));
    m_undoView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_undoView->addAction(m_copyHistoryAction);
}

bool MainWindow::cellRegion(int64_t row, int64_t col, Region* out, int64_t* logical) const {
    if (!m_session->displayed()) return false;
    const Tensor& t = *m_session->displayed();
    if (m_session->sliceSelection()) {
        const int64_t flat = m_view->sliceControls()->spec().flatIndex(t.shape, row, col);
        if (flat < 0) return false;
        *out = elementRegion(t, flat);
        *logical = flat;
        return true;
    }
    if (row < 0 || col < 0 || row >= t.rows() || col >= t.cols()) return false;
    *out = Region::cell2d(t, row, col);
    *logical = row * t.cols() + col;
    return true;
}

bool MainWindow::copyValues() {
    if (!m_session->document() || !m_session->displayed()) return false;
    const Tensor& t = *m_session->displayed();
    int64_t r0 = 0, c0 = 0, nr = t.rows(), nc = t.cols();
    if (m_session->sliceSelection()) {
        r0 = m_session->sliceSelection()->row0, c0 = m_session->sliceSelection()->col0;
        nr = m_session->sliceSelection()->rows, nc = m_session->sliceSelection()->cols;
    } else if (m_session->selection().rows > 0) {
        r0 = m_session->selection().row, c0 = m_session->selection().col,
        nr = m_session->selection().rows, nc = m_session->selection().cols;
    }
    if (nr * nc > kMaxCopyCells) {
        statusBar()->showMessage(
            tr("Not copied: %1 cells; select at most %2").arg(nr * nc).arg(kMaxCopyCells), 8000);
        return false;
    }
    QString text;
    Region cell;
    int64_t flat = 0;
    for (int64_t r = 0; r < nr; ++r) {
        for (int64_t c = 0; c < nc; ++c) {
            if (c > 0) text += QLatin1Char('\t');
            if (cellRegion(r0 + r, c0 + c, &cell, &flat)) text += t.elementText(flat);
        }
        text += QLatin1Char('\n');
    }
    QGuiApplication::clipboard()->setText(text);
    statusBar()->showMessage(tr("Copied %1 × %2 values of %3").arg(nr).arg(nc).arg(t.name), 5000);
    return true;
}

bool MainWindow::pasteValues(const QString& text) {
    if (!m_session->document() || !m_session->displayed()) return false;
    const Tensor& t = *m_session->displayed();
    auto refuse = [this](const QString& why) {
        statusBar()->showMessage(tr("Not pasted: %1").arg(why), 10000);
        return false;
    };
    QStringList lines =
        QString(text).replace(QLatin1String("\r\n"), QLatin1String("\n")).split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.last().trimmed().isEmpty())
        lines.removeLast();
    if (lines.isEmpty()) return refuse(tr("the clipboard holds no values"));
    std::vector<QStringList> cells;
    for (const QString& line : std::as_const(lines)) {
        cells.push_back(line.split(QLatin1Char('\t')));
        if (cells.back().size() != cells.front().size())
            return refuse(tr("row %1 has %2 values, row 1 has %3")
                              .arg(cells.size())
                              .arg(cells.back().size())
                              .arg(cells.front().size()));
    }
    const int64_t nr = int64_t(cells.size()), nc = cells.front().size();
    if (nr * nc > kMaxPasteCells)
        return refuse(tr("%1 values; paste at most %2 at once").arg(nr * nc).arg(kMaxPasteCells));
    // Where the block goes: the selection's top-left cell, else the cell table's cell.
    int64_t r0 = -1, c0 = -1, rows = t.rows(), cols = t.cols();
    if (m_session->sliceSelection()) {
        r0 = m_session->sliceSelection()->row0, c0 = m_session->sliceSelection()->col0;
        m_view->sliceControls()->spec().viewSize(t.shape, &rows, &cols);
    } else if (m_session->selection().rows > 0) {
        r0 = m_session->selection().row, c0 = m_session->selection().col;
    } else if (m_table->currentIndex().isValid()) {
        r0 = m_table->currentIndex().row(), c0 = m_table->currentIndex().column();
    }
    if (r0 < 0) return refuse(tr("select the cell where the block starts"));
    if (r0 + nr > rows || c0 + nc > cols)
        return refuse(tr("%1 × %2 values do not fit at row %3, column %4 of %5 (%6 × %7)")
                          .arg(nr)
                          .arg(nc)
                          .arg(r0)
                          .arg(c0)
                          .arg(t.name)
                          .arg(rows)
                          .arg(cols));
    // Every value is checked before anything changes.
    struct Cell {
        Region region;
        Scalar value;
    };
    std::vector<Cell> todo;
    todo.reserve(size_t(nr * nc));
    for (int64_t r = 0; r < nr; ++r)
        for (int64_t c = 0; c < nc; ++c) {
            const QString s = cells[size_t(r)][int(c)].trimmed();
            Cell cell;
            if (!Scalar::parse(s, &cell.value))
                return refuse(tr("'%1' (row %2, column %3 of the block) is not a number")
                                  .arg(s)
                                  .arg(r + 1)
                                  .arg(c + 1));
            const QString why = EditOperation::set(cell.value).refusal(t.dtype);
            if (!why.isEmpty() && !t.encoding)
                return refuse(tr("'%1' (row %2, column %3 of the block): %4")
                                  .arg(s)
                                  .arg(r + 1)
                                  .arg(c + 1)
                                  .arg(why));
            int64_t flat = 0;
            if (!cellRegion(r0 + r, c0 + c, &cell.region, &flat))
                return refuse(tr("cell (%1, %2) is not in the view").arg(r0 + r).arg(c0 + c));
            todo.push_back(std::move(cell));
        }
    // One gesture key: the cells merge into one undo step. A failure undoes the cells
    // already written, so nothing is half-applied.
    const int key = Document::newGestureKey();
    QUndoStack* stack = m_session->document()->undoStack();
    const int before = stack->index();
    QString error;
    for (const Cell& cell : todo)
        if (!m_session->document()->edit(m_session->shownIndex(), m_session->toBase(cell.region),
                                         EditOperation::set(cell.value), &error, key)) {
            if (stack->index() > before) stack->undo();
            return refuse(error);
        }
    statusBar()->showMessage(tr("Pasted %1 × %2 values into %3").arg(nr).arg(nc).arg(t.name), 5000);
    return true;
}

QString MainWindow::historyCommand(int* skipped) const {
    if (skipped) *skipped = 0;
    if (!m_session->document()) return QString();
    const QString in = m_session->document()->file().path;
    const QFileInfo fi(in);
    const QString suffix = fi.fileName().mid(fi.completeBaseName().size());
    const QString out =
        fi.path() + QLatin1Char('/') + fi.completeBaseName() + QStringLiteral("_edited") + suffix;
    QStringList exprs, comments;
    const QUndoStack* stack = m_session->document()->undoStack();
    for (int i = 0; i < stack->index(); ++i) {
        const auto* cmd = dynamic_cast<const EditUndoCommand*>(stack->command(i));
        if (!cmd) continue;
        for (const QString& e : cmd->expressions()) {
            EditExpression parsed;
            QString error;
            if (parseEditExpression(e, &parsed, &error)) {
                exprs << e;
            } else {
                comments << QStringLiteral("# not expressible, step %1: %2").arg(i + 1).arg(e);
                if (skipped) ++*skipped;
            }
        }
    }
    QString text = QStringLiteral("weightscope edit %1 -o %2").arg(shellQuote(in), shellQuote(out));
    for (const QString& e : std::as_const(exprs))
        text += QStringLiteral(" \\\n  ") + shellQuote(e);
    text += QLatin1Char('\n');
    for (const QString& c : std::as_const(comments))
        text += c + QLatin1Char('\n');
    return text;
}

} // namespace ws
