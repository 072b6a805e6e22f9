// A tensor's 2-D view as a colour map: rows down the y axis (row 0 at the top),
// columns along x, a colour bar, hover readout, zoom and pan, a keyboard cell
// cursor. Colours go through ws::ColorScale (linear, symlog, log, sqrt; under and
// over colours). Large matrices are pooled (max magnitude per block) to about the
// widget's pixel size.
#pragma once

#include "HeatmapColors.h"
#include "HeatmapPooling.h"
#include "Tensor.h"

#include <QString>
#include <QTimer>
#include <functional>
#include <memory>
#include <qcustomplot.h>

namespace ws {

class CellGridItem;
class RangeExtensionItem;

class HeatmapWidget : public QCustomPlot {
    Q_OBJECT
public:
    explicit HeatmapWidget(QWidget* parent = nullptr);

    /// Shows \a values (the tensor's 2-D view); \a tensor gives the name, dtype and
    /// axis labels and may be null. Resets view, colour map and range to the defaults.
    void setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor);
    /// Shows a matrix that is read on demand rather than held (the headless export of
    /// a large tensor straight from its file): drawing only, with no readouts,
    /// selection, edits or percentile ranges. False and \a error when it cannot be read.
    bool setSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor, QString* error);
    /// Whether the colour bar marks data below / above the colour range; true if either.
    bool rangeExtended(bool* under, bool* over) const;
    /// Why the last redraw could not read the source (empty when it could).
    QString sourceError() const { return m_sourceError; }
    void clear();
    std::shared_ptr<const MatrixF> values() const { return m_values; }
    /// What is drawn (the values in memory, or a file); null when nothing is shown.
    std::shared_ptr<const MatrixSource> source() const { return m_source; }
    TensorPtr tensor() const { return m_tensor; }
    /// The title above the plot (empty when hidden).
    QString title() const;

    /// Selects a colour map by name (see ColorMap::names()); false if unknown.
    bool setColorMap(const QString& name);
    QString colorMapName() const { return m_colorMap; }
    /// Keeps \a name for every tensor shown from now on; empty returns to the default
    /// for each tensor's data (diverging for signed, sequential otherwise).
    void setFixedColorMap(const QString& name);
    /// Fixes the colour range (RangeMode::Manual); autoRange() returns to RangeMode::Auto.
    void setColorRange(double lo, double hi);
    void autoRange();
    /// Chooses how the range follows the data; \a pLo / \a pHi are percentiles for
    /// RangeMode::Percentile (e.g. 1 and 99).
    void setRangeMode(RangeMode mode, double pLo = 1, double pHi = 99);
    RangeMode rangeMode() const { return m_rangeMode; }
    std::pair<double, double> percentiles() const { return {m_pLo, m_pHi}; }
    /// The value transform before colouring (colour-bar labels keep original values).
    void setScaleType(ColorScale::Scale scale);
    ColorScale::Scale scaleType() const { return m_scaleType; }
    /// Symmetric log: values within +-\a threshold are linear.
    void setLinearThreshold(double threshold);
    double linearThreshold() const { return m_linThreshold; }
    /// The complete value-to-colour mapping in use (map, scale, range, under/over).
    const ColorScale& colorSpec() const { return m_map->colorSpec(); }
    /// Colour of NaN cells (magenta by default; white where NaN marks mosaic gaps).
    void setNanColor(QRgb color);
    /// The colour drawn for grid cell (\a col, \a row) of gridData().
    QRgb gridColor(int col, int row) const;
    /// Square cells: both axes keep the same units per pixel.
    void setAspectLocked(bool on);
    bool aspectLocked() const { return m_aspect; }
    /// True when cell outlines are drawn (zoomed to a few dozen cells across).
    bool cellGridVisible() const;
    /// Replaces the axis titles chosen from the tensor's name and rank.
    void setAxisTitles(const QString& x, const QString& y);
    /// Maps a shown cell to the tensor's flat (C-order) index for readouts, or -1 for a
    /// cell that is no element (mosaic gaps); empty restores row * cols + col.
    void setFlatIndexMapper(std::function<int64_t(int64_t, int64_t)> mapper);
    /// The keyboard cell cursor (-1 when none).
    int64_t cursorRow() const { return m_cursorRow; }
    int64_t cursorCol() const { return m_cursorCol; }
    /// Moves the cursor (clamped), outlines the cell, scrolls to it and emits the readout.
    void moveCursorTo(int64_t row, int64_t col);
    /// Zooms both axes by \a factor (< 1 zooms in) around the cursor or the centre.
    void zoomBy(double factor);
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
    /// The keyboard cursor moved to (\a row, \a col).
    void cursorMoved(int64_t row, int64_t col);
    /// Enter on the cursor cell: the user wants to edit it.
    void editRequested(int64_t row, int64_t col);

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    void scheduleGrid();
    void placeRect(QCPItemRect* item, int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    void bandRect(int64_t* row0, int64_t* col0, int64_t* nRows, int64_t* nCols) const;
    void applyColors();
    void markExtensions(const ColorScale& spec);
    void clampRanges();
    void fitAspect();
    void chooseAxisTitles();
    QSize gridLimit() const;

    bool showSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor, QString* error);

    std::shared_ptr<const MatrixF> m_values;      ///< null for a streamed source
    std::shared_ptr<const MatrixSource> m_source; ///< what is drawn: m_values or a file
    QString m_sourceError;
    TensorPtr m_tensor;
    ScaledColorMap* m_map = nullptr;
    CellGridItem* m_cellGrid = nullptr;
    RangeExtensionItem* m_extensions = nullptr; ///< under/over marks on the colour bar
    ColorScale::Scale m_scaleType = ColorScale::Scale::Linear;
    double m_linThreshold = 1e-3;
    RangeMode m_rangeMode = RangeMode::Auto;
    double m_pLo = 1, m_pHi = 99;
    bool m_aspect = false;
    QRgb m_nanColor = qRgb(255, 0, 255);
    int64_t m_cursorRow = -1, m_cursorCol = -1;
    std::function<int64_t(int64_t, int64_t)> m_flatOf;
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
