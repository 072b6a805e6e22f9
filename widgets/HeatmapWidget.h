// A tensor's 2-D view as a colour map: rows down the y axis (row 0 at the top),
// columns along x, a colour bar, hover readout, zoom and pan. Large matrices are
// pooled (max magnitude per block) to about the widget's pixel size.
#pragma once

#include "HeatmapPooling.h"
#include "Tensor.h"

#include <QString>
#include <QTimer>
#include <memory>
#include <qcustomplot.h>

namespace ws {

class HeatmapWidget : public QCustomPlot {
    Q_OBJECT
public:
    explicit HeatmapWidget(QWidget* parent = nullptr);

    /// Shows \a values (the tensor's 2-D view); \a tensor gives the name, dtype and
    /// axis labels and may be null. Resets view, colour map and range to the defaults.
    void setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor);
    void clear();
    std::shared_ptr<const MatrixF> values() const { return m_values; }

    /// Selects a colour map by name (see ColorMap::names()); false if unknown.
    bool setColorMap(const QString& name);
    QString colorMapName() const { return m_colorMap; }
    /// Keeps \a name for every tensor shown from now on; empty returns to the default
    /// for each tensor's data (diverging for signed, sequential otherwise).
    void setFixedColorMap(const QString& name);
    /// Fixes the colour range; autoRange() returns to the default for the data.
    void setColorRange(double lo, double hi);
    void autoRange();
    QCPRange colorRange() const;
    /// Automatic ranges ignore the most extreme values: \a percent (e.g. 99.9) of the
    /// magnitudes fall inside the range; 100 (the default) is the full +-max|x|.
    void setClipPercentile(double percent);
    double clipPercentile() const { return m_clip; }
    /// The title above the plot (the tensor name and shape by default).
    void setTitle(const QString& title);

    /// Redraws after the values changed in place (an edit): keeps the zoom.
    void refreshValues();
    /// Same after only rows [row0, row0+nRows) x cols [col0, col0+nCols) changed: re-pools
    /// just the grid cells over them (the colour range only grows).
    void refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// Shows values as differences: diverging colours centred at zero, "Δ" readout.
    void setDifferenceMode(bool on);
    bool differenceMode() const { return m_diff; }
    /// Outlines cell (\a row, \a col); a negative row hides the outline.
    void setCurrentCell(int64_t row, int64_t col);
    /// Shows the selected rectangle; zero rows hides it.
    void setSelectionRect(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    QCPItemRect* currentCellItem() const { return m_currentItem; }
    QCPItemRect* selectionItem() const { return m_selectionItem; }
    /// The matrix cell under widget position \a pos (may be outside the matrix).
    void cellAt(const QPointF& pos, int64_t* row, int64_t* col) const;

    /// "row 3, col 7 = 0.125" (plus the n-D index for rank > 2); empty outside.
    QString readoutAt(int64_t row, int64_t col) const;

    /// The grid currently drawn and the matrix region it covers.
    const QCPColorMapData* gridData() const;
    double gridCell(int col, int row) const;
    const PooledGrid& grid() const { return m_grid; }
    QCPColorMap* colorMap() const { return m_map; }
    QCPColorScale* colorScale() const { return m_scale; }

public Q_SLOTS:
    /// Shows the whole matrix.
    void resetView();
    /// Recomputes the drawn grid for the visible range now (normally debounced).
    void updateGrid();

Q_SIGNALS:
    /// The readout under the mouse, or an empty string when it leaves the data.
    void hoverText(const QString& text);
    /// A click (press and release without moving) on a cell.
    void cellClicked(int64_t row, int64_t col);
    /// A rectangle chosen with Shift+drag, clipped to the matrix.
    void rectSelected(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void scheduleGrid();
    void placeRect(QCPItemRect* item, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    void bandRect(int64_t* row0, int64_t* col0, int64_t* nRows, int64_t* nCols) const;
    void applyColors();
    void clampRanges();
    QSize gridLimit() const;

    std::shared_ptr<const MatrixF> m_values;
    TensorPtr m_tensor;
    QCPColorMap* m_map = nullptr;
    QCPColorScale* m_scale = nullptr;
    QCPTextElement* m_title = nullptr;
    QString m_colorMap;
    double m_dataMin = 0, m_dataMax = 0;
    double m_clip = 100;
    bool m_fixedMap = false;
    QCPRange m_range{-1, 1};
    PooledGrid m_grid;
    QTimer m_gridTimer;
    bool m_clamping = false;
    bool m_diff = false;
    QCPItemRect* m_currentItem = nullptr;
    QCPItemRect* m_selectionItem = nullptr;
    QPointF m_pressPos;
    bool m_pressed = false, m_banding = false;
    int64_t m_bandRow = 0, m_bandCol = 0, m_bandEndRow = 0, m_bandEndCol = 0;
};

} // namespace ws
