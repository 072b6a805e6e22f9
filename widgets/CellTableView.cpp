// Table view of a tensor's cells with fixed section sizes.
#include "CellTableView.h"

#include <QHeaderView>
#include <algorithm>
#include <climits>

namespace ws {

CellTableView::CellTableView(QWidget* parent) : QTableView(parent) {
    m_model = new CellTableModel(this);
    setModel(m_model);
    const int rowHeight = fontMetrics().height() + 6;
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setDefaultSectionSize(rowHeight);
    verticalHeader()->setMinimumWidth(fontMetrics().horizontalAdvance(QStringLiteral("0000000")));
    horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    horizontalHeader()->setDefaultSectionSize(
        fontMetrics().horizontalAdvance(QStringLiteral("-0.00000000000")) + 8);
    setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                    QAbstractItemView::AnyKeyPressed);
    setSelectionMode(QAbstractItemView::ContiguousSelection);
    setWordWrap(false);
    setCornerButtonEnabled(false);
    connect(selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                if (!m_syncing && current.isValid())
                    Q_EMIT currentCellChanged(current.row(), current.column());
            });
    connect(selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (!m_syncing) Q_EMIT cellSelectionChanged();
    });
}

void CellTableView::moveCurrentCell(int64_t row, int64_t col) {
    setCurrentCell(row, col, QItemSelectionModel::NoUpdate);
}

void CellTableView::selectCell(int64_t row, int64_t col) {
    setCurrentCell(row, col, QItemSelectionModel::ClearAndSelect);
}

void CellTableView::setCurrentCell(int64_t row, int64_t col,
                                   QItemSelectionModel::SelectionFlags how) {
    const QModelIndex i = m_model->index(int(row), int(col));
    if (!i.isValid()) return;
    m_syncing = true;
    selectionModel()->setCurrentIndex(i, how);
    scrollTo(i);
    m_syncing = false;
}

bool CellTableView::selectedRect(int64_t* row0, int64_t* col0, int64_t* nRows,
                                 int64_t* nCols) const {
    const QItemSelection sel = selectionModel()->selection();
    if (sel.isEmpty()) return false;
    int top = INT_MAX, left = INT_MAX, bottom = -1, right = -1;
    for (const QItemSelectionRange& r : sel) {
        top = std::min(top, r.top());
        left = std::min(left, r.left());
        bottom = std::max(bottom, r.bottom());
        right = std::max(right, r.right());
    }
    if (bottom == top && right == left) return false;
    *row0 = top;
    *col0 = left;
    *nRows = bottom - top + 1;
    *nCols = right - left + 1;
    return true;
}

} // namespace ws
