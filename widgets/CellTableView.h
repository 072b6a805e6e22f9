// The cell table: a QTableView over CellTableModel with fixed-size sections so
// that tensors of millions of cells scroll smoothly; reports the current cell
// and the selected rectangle, and starts editing on typing.
#pragma once

#include "CellTableModel.h"

#include <QItemSelectionModel>
#include <QTableView>

namespace ws {

class CellTableView : public QTableView {
    Q_OBJECT
public:
    explicit CellTableView(QWidget* parent = nullptr);

    CellTableModel* cellModel() const { return m_model; }
    /// Makes (\a row, \a col) current and scrolls to it (no signal loops).
    void selectCell(int64_t row, int64_t col);
    /// Moves the current cell to (\a row, \a col) and keeps the selection as it is.
    void moveCurrentCell(int64_t row, int64_t col);
    /// The bounding rectangle of the selected cells; false when fewer than two are selected.
    bool selectedRect(int64_t* row0, int64_t* col0, int64_t* nRows, int64_t* nCols) const;

Q_SIGNALS:
    void currentCellChanged(int64_t row, int64_t col);
    /// The selection changed (query selectedRect()).
    void cellSelectionChanged();

private:
    void setCurrentCell(int64_t row, int64_t col, QItemSelectionModel::SelectionFlags how);
    CellTableModel* m_model = nullptr;
    bool m_syncing = false;
};

} // namespace ws
