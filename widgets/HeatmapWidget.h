// A tensor's 2-D view as a colour map: rows down the y axis (row 0 at the top),
// columns along x, a colour bar, hover readout, zoom and pan, a keyboard cell
// cursor. Colours go through ws::ColorScale (linear, symlog, log, sqrt; under and
// over colours). Values come from a MatrixSource, never held whole: the view asks
// for the rectangle and zoom level it shows, composed from cached pooled tiles
// (max magnitude per block, so outliers stay visible). Tiles not yet cached are
// computed in the background while a coarser picture shows, marked "refining".
// A large tensor on a server is not read whole on its own: the view shows a preview
// (one row in fr) and reads only views that are small, until the user asks for all.
#pragma once

#include "HeatmapColors.h"
#include "MatrixSource.h"
#include "Tensor.h"
#include "TileCache.h"

#include <QString>
#include <QTimer>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <qcustomplot.h>

namespace ws {

class CellGridItem;
class RangeExtensionItem;

class HeatmapWidget : public QCustomPlot {
    Q_OBJECT
public:
    /// Tensors up to this many elements are drawn and ranged at once on the GUI thread
    /// (a few milliseconds); larger ones show a preview and refine in the background.
    static constexpr int64_t kSyncElements = int64_t(1) << 22;

    explicit HeatmapWidget(QWidget* parent = nullptr);

    /// Shows \a values (a matrix in memory: small derived views, tests); \a tensor gives
    /// the name, dtype and axis labels and may be null. Resets view, colour map and
    /// range to the defaults.
    void setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor);
    /// Shows \a tensor's 2-D view read from its file (tensorSource()).
    void setTensor(TensorPtr tensor);
    /// Shows \a source (read tile by tile on demand). False and \a error when it
    /// cannot be read.
    bool setSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor, QString* error);
    std::shared_ptr<const MatrixSource> source() const { return m_source; }
    /// True while tiles of the view are computed in the background (a coarser picture
    /// shows meanwhile); refined() follows.
    bool isRefining() const { return m_refining; }
    /// Whether the colour range rests on every element (false while only a preview
    /// of a large tensor has been read).
    bool rangeIsExact() const { return m_rangeExact; }
    /// Sources that fetch more than this many bytes over the network for a pass over
    /// every value (MatrixSource::remoteBytes) are read whole only on request; views
    /// of at most this many bytes are read in full. 64 MiB by default.
    static void setRemoteFetchLimit(int64_t bytes);
    static int64_t remoteFetchLimit();
    /// True while the view shows what it could read of a large remote source without
    /// reading all of it, and offers fetchWhole() (a clickable note on the plot).
    bool awaitsWholeFetch() const { return m_awaitingFetch; }
    /// The note on the plot ("refining…", the fetch offer); empty when hidden.
    QString statusNote() const;
    /// Whether the colour bar marks data below / above the colour range; true if either.
    bool rangeExtended(bool* under, bool* over) const;
    /// Why the last redraw could not read the source (empty when it could).
    QString sourceError() const { return m_sourceError; }
    void clear();
    std::shared_ptr<const MatrixF> values() const { return m_values; }
    /// Every value shown, read from the source into a matrix (small views, tests).
    MatrixF readMatrix() const;
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
    ~HeatmapWidget() override;
    /// The title above the plot (the tensor name and shape by default).
    void setTitle(const QString& title);

    /// Redraws after the values changed in place (an edit): keeps the zoom.
    void refreshValues();
    /// Same after only rows [row0, row0+nRows) x cols [col0, col0+nCols) changed: re-pools
    /// just the grid cells over them (the colour range only grows).
    void refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// Shows values as differences: diverging colours centred at zero, "Δ" readout.
    void setDifferenceMode(bool on);
    /// The next 2-D weight shown is stored (in, out), as GPT-2's Conv1D keeps it: its
    /// rows are labelled input features and its columns output features.
    void setStoredInOut(bool on) { m_storedInOut = on; }
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
    /// Reads the whole source (a large remote tensor too): the overview, the exact
    /// colour range and every view at full resolution.
    void fetchWhole();

Q_SIGNALS:
    /// The readout under the mouse, or an empty string when it leaves the data.
    void hoverText(const QString& text);
    /// A click (press and release without moving) on a cell.
    void cellClicked(int64_t row, int64_t col);
    /// A rectangle chosen with Shift+drag, clipped to the matrix.
    void rectSelected(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols);
    /// Background tiles arrived and the view shows the full-resolution picture.
    void refined();
    /// The user clicked the fetch offer of a large remote source (fetchWhole() runs).
    void wholeFetchRequested();
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
    bool hasData() const { return m_source && m_source->rows() > 0 && m_source->cols() > 0; }
    void showGrid(PooledGrid grid);
    void startFill(TileLevel level, std::vector<TileIndex> tiles);
    /// previewGrid() of the view on a worker (remote sources), shown when it arrives
    /// unless the view moved on (m_previewKey).
    void startPreview(TileLevel level, int64_t r0, int64_t c0, int64_t nr, int64_t nc);
    void cancelPreview();
    /// Shows a preview; the first one of a source also sets a first colour range.
    void showPreview(PooledGrid preview);
    /// Shows \a text in the note at the plot's top right (empty hides it).
    void showNote(const QString& text);
    /// The note offering to read all of a remote source; \a previewRows: rows per row
    /// read of the preview shown (0: the view shown is exact).
    void offerWholeFetch(int64_t previewRows);
    bool noteContains(const QPointF& pos) const;
    void cancelFill();
    /// An even sample of the finite values (percentile and log ranges).
    const std::vector<float>& sample();
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

    std::shared_ptr<const MatrixF> m_values;         ///< set by setValues() only
    std::shared_ptr<const MatrixSource> m_source;    ///< what is drawn
    std::shared_ptr<std::atomic<bool>> m_fill;       ///< cancels the running background fill
    std::shared_ptr<std::atomic<bool>> m_previewJob; ///< cancels the preview being read
    quint64 m_fillGeneration = 0;
    bool m_refining = false;
    bool m_rangeExact = false;
    bool m_fetchAll = false;               ///< the user asked to read all of a remote source
    bool m_awaitingFetch = false;          ///< a remote source shown without reading all of it
    bool m_previewRanged = false;          ///< the colour range came from a preview already
    std::array<int64_t, 6> m_previewKey{}; ///< level and view of the last preview read
    static int64_t s_remoteFetchLimit;
    TileLevel m_overview; ///< the level of the whole matrix at the widget's size
    std::vector<float> m_sample;
    bool m_sampled = false;
    QCPItemText* m_note = nullptr; ///< "refining…" or the offer to read a remote source whole
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
    bool m_fixedMap = false;
    QCPRange m_range{-1, 1};
    PooledGrid m_grid;
    QTimer m_gridTimer;
    bool m_clamping = false;
    bool m_diff = false;
    bool m_storedInOut = false;
    QCPItemRect* m_currentItem = nullptr;
    QCPItemRect* m_selectionItem = nullptr;
    QPointF m_pressPos;
    bool m_pressed = false, m_banding = false;
    int64_t m_bandRow = 0, m_bandCol = 0, m_bandEndRow = 0, m_bandEndCol = 0;
};

} // namespace ws
