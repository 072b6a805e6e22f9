// Heatmap input: mouse clicks, Shift+drag rectangles, hover readout, and the
// keyboard cell cursor (arrow keys, Enter to edit, + and - to zoom).
#include "HeatmapWidget.h"

#include <QKeyEvent>
#include <algorithm>
#include <cmath>

namespace ws {

void HeatmapWidget::bandRect(int64_t* row0, int64_t* col0, int64_t* nRows, int64_t* nCols) const {
    const int64_t R = m_source ? m_source->rows() : 0, C = m_source ? m_source->cols() : 0;
    const int64_t r0 = std::clamp<int64_t>(std::min(m_bandRow, m_bandEndRow), 0, R);
    const int64_t r1 = std::clamp<int64_t>(std::max(m_bandRow, m_bandEndRow) + 1, 0, R);
    const int64_t c0 = std::clamp<int64_t>(std::min(m_bandCol, m_bandEndCol), 0, C);
    const int64_t c1 = std::clamp<int64_t>(std::max(m_bandCol, m_bandEndCol) + 1, 0, C);
    *row0 = r0;
    *col0 = c0;
    *nRows = r1 - r0;
    *nCols = c1 - c0;
}

void HeatmapWidget::mousePressEvent(QMouseEvent* event) {
    if (m_awaitingFetch && event->button() == Qt::LeftButton && noteContains(event->position())) {
        fetchWhole(); // the note offering to read all of a large remote tensor
        Q_EMIT wholeFetchRequested();
        event->accept();
        return;
    }
    m_pressPos = event->position();
    m_pressed = event->button() == Qt::LeftButton;
    if (m_pressed && hasData() && (event->modifiers() & Qt::ShiftModifier) &&
        axisRect()->rect().contains(event->position().toPoint())) {
        m_banding = true;
        cellAt(event->position(), &m_bandRow, &m_bandCol);
        m_bandEndRow = m_bandRow;
        m_bandEndCol = m_bandCol;
        int64_t r0, c0, nr, nc;
        bandRect(&r0, &c0, &nr, &nc);
        placeRect(m_selectionItem, r0, c0, nr, nc);
        event->accept();
        return;
    }
    QCustomPlot::mousePressEvent(event);
}

void HeatmapWidget::mouseReleaseEvent(QMouseEvent* event) {
    if (m_banding) {
        m_banding = false;
        m_pressed = false;
        cellAt(event->position(), &m_bandEndRow, &m_bandEndCol);
        int64_t r0, c0, nr, nc;
        bandRect(&r0, &c0, &nr, &nc);
        placeRect(m_selectionItem, r0, c0, nr, nc);
        Q_EMIT rectSelected(r0, c0, nr, nc);
        event->accept();
        return;
    }
    QCustomPlot::mouseReleaseEvent(event);
    const QPointF d = event->position() - m_pressPos;
    if (m_pressed && event->button() == Qt::LeftButton && hasData() &&
        std::abs(d.x()) + std::abs(d.y()) < 4 &&
        axisRect()->rect().contains(event->position().toPoint())) {
        int64_t row, col;
        cellAt(event->position(), &row, &col);
        if (row >= 0 && col >= 0 && row < m_source->rows() && col < m_source->cols())
            Q_EMIT cellClicked(row, col);
    }
    m_pressed = false;
}

void HeatmapWidget::mouseMoveEvent(QMouseEvent* event) {
    if (m_banding) {
        cellAt(event->position(), &m_bandEndRow, &m_bandEndCol);
        int64_t r0, c0, nr, nc;
        bandRect(&r0, &c0, &nr, &nc);
        placeRect(m_selectionItem, r0, c0, nr, nc);
    } else {
        QCustomPlot::mouseMoveEvent(event);
    }
    const bool overNote = m_awaitingFetch && noteContains(event->position());
    if (overNote != (cursor().shape() == Qt::PointingHandCursor)) {
        if (overNote)
            setCursor(Qt::PointingHandCursor);
        else
            unsetCursor();
    }
    QString text;
    const QPointF p = event->position();
    if (hasData() && axisRect()->rect().contains(p.toPoint())) {
        int64_t row, col;
        cellAt(p, &row, &col);
        text = readoutAt(row, col);
    }
    Q_EMIT hoverText(text);
}

void HeatmapWidget::leaveEvent(QEvent* event) {
    QCustomPlot::leaveEvent(event);
    Q_EMIT hoverText(QString());
}

void HeatmapWidget::moveCursorTo(int64_t row, int64_t col) {
    if (!hasData()) return;
    row = std::clamp<int64_t>(row, 0, m_source->rows() - 1);
    col = std::clamp<int64_t>(col, 0, m_source->cols() - 1);
    m_cursorRow = row;
    m_cursorCol = col;
    placeRect(m_currentItem, row, col, 1, 1);
    // Scroll so that the cell is inside the view.
    const auto follow = [](QCPAxis* axis, double pos) {
        const QCPRange r = axis->range();
        if (pos - 0.5 < r.lower)
            axis->setRange(pos - 0.5, pos - 0.5 + r.size());
        else if (pos + 0.5 > r.upper)
            axis->setRange(pos + 0.5 - r.size(), pos + 0.5);
    };
    follow(xAxis, double(col));
    follow(yAxis, double(row));
    Q_EMIT hoverText(readoutAt(row, col));
    Q_EMIT cursorMoved(row, col);
}

void HeatmapWidget::zoomBy(double factor) {
    if (!m_source) return;
    const bool atCursor = m_cursorRow >= 0 && xAxis->range().contains(double(m_cursorCol)) &&
                          yAxis->range().contains(double(m_cursorRow));
    xAxis->scaleRange(factor, atCursor ? double(m_cursorCol) : xAxis->range().center());
    yAxis->scaleRange(factor, atCursor ? double(m_cursorRow) : yAxis->range().center());
    replot(rpQueuedReplot);
}

void HeatmapWidget::keyPressEvent(QKeyEvent* event) {
    if (!hasData()) {
        QCustomPlot::keyPressEvent(event);
        return;
    }
    const int64_t step = (event->modifiers() & Qt::ControlModifier) ? 10 : 1;
    const int64_t r = std::max<int64_t>(m_cursorRow, 0), c = std::max<int64_t>(m_cursorCol, 0);
    const bool none = m_cursorRow < 0;
    switch (event->key()) {
    case Qt::Key_Left:
        moveCursorTo(r, none ? 0 : c - step);
        break;
    case Qt::Key_Right:
        moveCursorTo(r, none ? 0 : c + step);
        break;
    case Qt::Key_Up:
        moveCursorTo(none ? 0 : r - step, c);
        break;
    case Qt::Key_Down:
        moveCursorTo(none ? 0 : r + step, c);
        break;
    case Qt::Key_Return:
    case Qt::Key_Enter:
        if (!none) Q_EMIT editRequested(r, c);
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(0.5);
        break;
    case Qt::Key_Minus:
        zoomBy(2.0);
        break;
    default:
        QCustomPlot::keyPressEvent(event);
        return;
    }
    event->accept();
}

} // namespace ws
