// Colour-map view of a tensor's 2-D values with max-magnitude pooling for large matrices.
#include "HeatmapWidget.h"

#include "ColorMap.h"
#include "PlotStyle.h"

#include <QRegularExpression>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

namespace {

// Finite min and max of a block; false when it holds none.
template <typename M> bool blockMinMax(const M& m, double* lo, double* hi) {
    float mn = std::numeric_limits<float>::infinity();
    float mx = -mn;
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c) {
            const float v = m(r, c);
            if (!std::isfinite(v)) continue;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
    *lo = mn;
    *hi = mx;
    return mn <= mx;
}

bool isEmbeddingName(const QString& name) {
    static const QRegularExpression re(QStringLiteral("(embed|wte|wpe|tok_|token|vocab)"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(name).hasMatch();
}

bool isWeightName(const QString& name) {
    return name == QLatin1String("weight") || name.endsWith(QLatin1String(".weight")) ||
           name.endsWith(QLatin1String("_weight"));
}

} // namespace

/// Thin outlines between cells, drawn once the view shows a few dozen cells across.
class CellGridItem : public QCPAbstractItem {
public:
    explicit CellGridItem(QCustomPlot* plot) : QCPAbstractItem(plot) {
        setSelectable(false);
        setLayer(QStringLiteral("overlay"));
    }
    double selectTest(const QPointF&, bool, QVariant*) const override { return -1; }
    int64_t rows = 0, cols = 0;
    static constexpr double kMaxCells = 48;

    bool active() const {
        const QCPRange xr = parentPlot()->xAxis->range(), yr = parentPlot()->yAxis->range();
        return rows > 0 && cols > 0 && xr.size() <= kMaxCells && yr.size() <= kMaxCells;
    }

protected:
    void draw(QCPPainter* painter) override {
        if (!active()) return;
        QCPAxis* x = parentPlot()->xAxis;
        QCPAxis* y = parentPlot()->yAxis;
        QPen pen(QColor(255, 255, 255, 150), 1);
        pen.setCosmetic(true);
        painter->setPen(pen);
        const QCPRange xr = x->range(), yr = y->range();
        const double top = y->coordToPixel(std::max(yr.lower, -0.5));
        const double bottom = y->coordToPixel(std::min(yr.upper, double(rows) - 0.5));
        const double left = x->coordToPixel(std::max(xr.lower, -0.5));
        const double right = x->coordToPixel(std::min(xr.upper, double(cols) - 0.5));
        for (double c = std::ceil(xr.lower - 0.5) + 0.5; c <= xr.upper; c += 1)
            if (c >= -0.5 && c <= double(cols) - 0.5)
                painter->drawLine(QLineF(x->coordToPixel(c), top, x->coordToPixel(c), bottom));
        for (double r = std::ceil(yr.lower - 0.5) + 0.5; r <= yr.upper; r += 1)
            if (r >= -0.5 && r <= double(rows) - 0.5)
                painter->drawLine(QLineF(left, y->coordToPixel(r), right, y->coordToPixel(r)));
    }
};

/// Triangles at the ends of the colour bar, in the under and over colours, when
/// the colour range cuts off data below or above it (matplotlib's "extend").
class RangeExtensionItem : public QCPAbstractItem {
public:
    RangeExtensionItem(QCustomPlot* plot, QCPColorScale* scale)
        : QCPAbstractItem(plot), m_scale(scale) {
        setSelectable(false);
        setClipToAxisRect(false);
        setLayer(QStringLiteral("overlay"));
    }
    double selectTest(const QPointF&, bool, QVariant*) const override { return -1; }
    bool under = false, over = false;
    QColor underColor, overColor;

protected:
    void draw(QCPPainter* painter) override {
        if (!m_scale->visible() || (!under && !over)) return;
        const QRect bar = m_scale->axis()->axisRect()->rect();
        if (bar.width() <= 0 || bar.height() <= 0) return;
        const double h = std::min(double(bar.width()), 12.0);
        const double l = bar.left(), r = bar.left() + bar.width(), c = (l + r) / 2;
        const double top = bar.top() - 2, bottom = bar.top() + bar.height() + 2;
        const bool reversed = m_scale->axis()->rangeReversed();
        painter->setPen(QPen(QColor(60, 60, 60), 0.8));
        const auto triangle = [&](bool atTop, const QColor& color) {
            painter->setBrush(color);
            const double base = atTop ? top : bottom, tip = atTop ? top - h : bottom + h;
            painter->drawPolygon(QPolygonF({QPointF(l, base), QPointF(r, base), QPointF(c, tip)}));
        };
        if (over) triangle(!reversed, overColor);
        if (under) triangle(reversed, underColor);
    }

private:
    QCPColorScale* m_scale;
};

HeatmapWidget::HeatmapWidget(QWidget* parent) : QCustomPlot(parent) {
    applyPlotStyle(this);
    m_title = addPlotTitle(this);

    m_map = new ScaledColorMap(xAxis, yAxis);
    m_map->setInterpolate(false);
    m_map->setTightBoundary(false);
    m_scale = new QCPColorScale(this);
    plotLayout()->addElement(1, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_scale->setBarWidth(14);
    m_scale->axis()->setTickLabelFont(xAxis->tickLabelFont());
    m_scale->axis()->setNumberFormat(QStringLiteral("g"));
    m_map->setColorScale(m_scale);
    m_scale->setRangeDrag(false);
    m_scale->setRangeZoom(false);
    setFocusPolicy(Qt::StrongFocus);
    auto* group = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);

    yAxis->setRangeReversed(true);
    xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new IndexTicker));
    yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new IndexTicker));
    xAxis->grid()->setVisible(false);
    yAxis->grid()->setVisible(false);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    setMouseTracking(true);

    m_gridTimer.setSingleShot(true);
    m_gridTimer.setInterval(0);
    connect(&m_gridTimer, &QTimer::timeout, this, &HeatmapWidget::updateGrid);
    auto onRange = [this] {
        clampRanges();
        scheduleGrid();
    };
    connect(xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, onRange);
    connect(yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, onRange);
    // The axis rect's size is known only after layout: keep square cells exact.
    connect(this, &QCustomPlot::afterLayout, this, [this] {
        if (!m_aspect || !m_source || m_clamping) return;
        const double ux = xAxis->range().size() / std::max(1, axisRect()->width());
        const double uy = yAxis->range().size() / std::max(1, axisRect()->height());
        if (std::fabs(ux / uy - 1) > 1e-3) clampRanges();
    });
    setColorMap(QStringLiteral("RdBu_r"));

    m_selectionItem = new QCPItemRect(this);
    QPen dashed(QColor(20, 20, 20), 1.5, Qt::DashLine);
    dashed.setCosmetic(true);
    m_selectionItem->setPen(dashed);
    m_selectionItem->setBrush(QColor(255, 255, 255, 40));
    m_selectionItem->setSelectable(false);
    m_selectionItem->setVisible(false);
    m_currentItem = new QCPItemRect(this);
    QPen outline(QColor(255, 200, 0), 2);
    outline.setCosmetic(true);
    m_currentItem->setPen(outline);
    m_currentItem->setBrush(Qt::NoBrush);
    m_currentItem->setSelectable(false);
    m_currentItem->setVisible(false);
    m_cellGrid = new CellGridItem(this);
    m_extensions = new RangeExtensionItem(this, m_scale);
    clear();
}

void HeatmapWidget::setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor) {
    if (!values) {
        clear();
        return;
    }
    m_values = values;
    showSource(memorySource(std::move(values)), std::move(tensor), nullptr);
}

bool HeatmapWidget::setSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor,
                              QString* error) {
    m_values.reset();
    if (!source) {
        clear();
        return false;
    }
    return showSource(std::move(source), std::move(tensor), error);
}

bool HeatmapWidget::showSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor,
                               QString* error) {
    m_source = std::move(source);
    m_tensor = std::move(tensor);
    m_sourceError.clear();
    if (!m_source->finiteMinMax(&m_dataMin, &m_dataMax, error)) {
        clear();
        return false;
    }
    if (!m_fixedMap && !m_diff) setColorMap(ColorMap::defaultFor(m_dataMin, m_dataMax));
    m_flatOf = nullptr;
    m_nanColor = qRgb(255, 0, 255);
    m_cursorRow = m_cursorCol = -1;
    m_cellGrid->rows = m_source->rows();
    m_cellGrid->cols = m_source->cols();
    if (m_rangeMode == RangeMode::Manual) m_rangeMode = RangeMode::Auto;
    autoRange();
    m_currentItem->setVisible(false);
    m_selectionItem->setVisible(false);
    chooseAxisTitles();
    m_map->setVisible(true);
    m_scale->setVisible(true);
    resetView();
    // A matrix in memory is pooled at once; a streamed one when it is drawn, once its
    // size on screen is known (each pooling reads the whole view from the file).
    if (m_values) updateGrid();
    if (!m_sourceError.isEmpty()) {
        if (error) *error = m_sourceError;
        return false;
    }
    return true;
}

void HeatmapWidget::chooseAxisTitles() {
    const QString name = m_tensor ? m_tensor->name : QString();
    const int rank = m_tensor ? m_tensor->rank() : 2;
    if (rank == 2 && isEmbeddingName(name)) {
        xAxis->setLabel(tr("embedding dimensions"));
        yAxis->setLabel(tr("index (token / position)"));
    } else if (rank == 2 && isWeightName(name)) {
        xAxis->setLabel(tr("input features"));
        yAxis->setLabel(tr("output features"));
    } else if (rank > 2 && isWeightName(name)) {
        yAxis->setLabel(tr("output channels (dim 0)"));
        xAxis->setLabel(tr("input channels × kernel (dims 1-%1 flattened)").arg(rank - 1));
    } else if (rank > 2) {
        yAxis->setLabel(tr("rows (dim 0)"));
        xAxis->setLabel(tr("columns (dims 1-%1 flattened)").arg(rank - 1));
    } else {
        xAxis->setLabel(tr("columns"));
        yAxis->setLabel(tr("rows"));
    }
    if (m_tensor)
        setTitle(QStringLiteral("%1   %2 %3%4")
                     .arg(m_tensor->name, m_tensor->shapeString(), dtypeName(m_tensor->dtype),
                          m_diff ? tr("   — difference from original") : QString()));
    else
        setTitle(QString());
}

void HeatmapWidget::setAxisTitles(const QString& x, const QString& y) {
    xAxis->setLabel(x);
    yAxis->setLabel(y);
    replot(rpQueuedReplot);
}

void HeatmapWidget::setFlatIndexMapper(std::function<int64_t(int64_t, int64_t)> mapper) {
    m_flatOf = std::move(mapper);
}

void HeatmapWidget::markExtensions(const ColorScale& spec) {
    // Where data lie beyond the range (for log only above: its range starts at the
    // smallest non-zero magnitude, so only zeros lie below).
    if (!m_extensions) return; // applyColors() runs in the constructor too
    const bool hasData = m_source != nullptr;
    const double pMin = spec.position(m_dataMin), pMax = spec.position(m_dataMax);
    m_extensions->under = hasData && m_scaleType != ColorScale::Scale::Log && pMin < 0;
    m_extensions->over = hasData && (pMax > 1 || pMin > 1);
    m_extensions->underColor = QColor::fromRgb(spec.under);
    m_extensions->overColor = QColor::fromRgb(spec.over);
}

bool HeatmapWidget::rangeExtended(bool* under, bool* over) const {
    *under = m_extensions->under;
    *over = m_extensions->over;
    return *under || *over;
}

void HeatmapWidget::clear() {
    m_values.reset();
    m_source.reset();
    m_tensor.reset();
    m_grid = PooledGrid();
    m_flatOf = nullptr;
    m_cursorRow = m_cursorCol = -1;
    m_cellGrid->rows = m_cellGrid->cols = 0;
    m_map->setData(new QCPColorMapData(1, 1, QCPRange(0, 0), QCPRange(0, 0)));
    m_map->setVisible(false);
    m_currentItem->setVisible(false);
    m_selectionItem->setVisible(false);
    xAxis->setLabel(QString());
    yAxis->setLabel(QString());
    setTitle(QString());
    replot(rpQueuedReplot);
}

bool HeatmapWidget::setColorMap(const QString& name) {
    ColorMap map;
    if (!ColorMap::byName(name, &map)) return false;
    m_colorMap = name;
    if (!m_diff) m_map->setGradient(toGradient(map));
    applyColors();
    return true;
}

void HeatmapWidget::refreshValues() {
    if (!m_values) return;
    m_source->finiteMinMax(&m_dataMin, &m_dataMax, nullptr); // in memory: cannot fail
    autoRange();
    updateGrid();
}

void HeatmapWidget::refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (!m_values) return;
    const int64_t R = m_values->rows(), C = m_values->cols();
    row0 = std::clamp<int64_t>(row0, 0, R);
    col0 = std::clamp<int64_t>(col0, 0, C);
    nRows = std::clamp<int64_t>(nRows, 0, R - row0);
    nCols = std::clamp<int64_t>(nCols, 0, C - col0);
    const int outR = int(m_grid.values.rows()), outC = int(m_grid.values.cols());
    if (nRows * nCols * 4 > int64_t(m_values->size()) || outR == 0 || outC == 0) {
        refreshValues();
        return;
    }
    if (nRows == 0 || nCols == 0) return;
    double lo = 0, hi = 0;
    if (blockMinMax(m_values->block(row0, col0, nRows, nCols), &lo, &hi) &&
        (lo < m_dataMin || hi > m_dataMax)) {
        m_dataMin = std::min(m_dataMin, lo);
        m_dataMax = std::max(m_dataMax, hi);
        autoRange();
    }
    // Re-pool only the grid cells whose blocks overlap the changed rectangle.
    QCPColorMapData* data = m_map->data();
    const int dx = outC == 1 ? 2 : 1, dy = outR == 1 ? 2 : 1;
    const int64_t gr0 = m_grid.rowStart, gnr = m_grid.rowCount;
    const int64_t gc0 = m_grid.colStart, gnc = m_grid.colCount;
    for (int r = 0; r < outR; ++r) {
        const int64_t rb = gr0 + r * gnr / outR, re = gr0 + (r + 1) * gnr / outR;
        if (re <= row0 || rb >= row0 + nRows) continue;
        for (int c = 0; c < outC; ++c) {
            const int64_t cb = gc0 + c * gnc / outC, ce = gc0 + (c + 1) * gnc / outC;
            if (ce <= col0 || cb >= col0 + nCols) continue;
            const PooledGrid one = poolMaxMagnitude(*m_values, rb, cb, re - rb, ce - cb, 1, 1);
            const float v = one.values.size() > 0 ? one.values(0, 0) : 0.0f;
            m_grid.values(r, c) = v;
            for (int i = 0; i < dy; ++i)
                for (int j = 0; j < dx; ++j)
                    data->setCell(c * dx + j, r * dy + i, v);
        }
    }
    m_map->invalidate();
    replot(rpQueuedReplot);
}

void HeatmapWidget::setDifferenceMode(bool on) {
    if (on == m_diff) return;
    m_diff = on;
    if (on) {
        ColorMap map;
        if (ColorMap::byName(QStringLiteral("RdBu_r"), &map)) m_map->setGradient(toGradient(map));
    } else {
        setColorMap(m_colorMap);
    }
    autoRange();
}

void HeatmapWidget::setClipPercentile(double percent) {
    m_clip = std::clamp(percent, 50.0, 100.0);
    autoRange();
}

void HeatmapWidget::setFixedColorMap(const QString& name) {
    if (name.isEmpty()) {
        m_fixedMap = false;
        setColorMap(ColorMap::defaultFor(m_dataMin, m_dataMax));
    } else if (setColorMap(name)) {
        m_fixedMap = true;
    }
}

QCPRange HeatmapWidget::colorRange() const {
    return m_range;
}

bool HeatmapWidget::cellGridVisible() const {
    return m_source && m_cellGrid->active();
}

QString HeatmapWidget::title() const {
    return m_title->visible() ? m_title->text() : QString();
}

void HeatmapWidget::setTitle(const QString& title) {
    m_title->setText(title);
    m_title->setVisible(!title.isEmpty());
}

void HeatmapWidget::resetView() {
    if (!m_source) return;
    m_clamping = true;
    xAxis->setRange(-0.5, double(m_source->cols()) - 0.5);
    yAxis->setRange(-0.5, double(m_source->rows()) - 0.5);
    if (m_aspect) {
        // Fit the whole matrix with square cells: widen the axis with room to spare.
        const double w = std::max(1, axisRect()->width()), h = std::max(1, axisRect()->height());
        const double upp = std::max(double(m_source->cols()) / w, double(m_source->rows()) / h);
        const double cx = xAxis->range().center(), cy = yAxis->range().center();
        xAxis->setRange(cx - upp * w / 2, cx + upp * w / 2);
        yAxis->setRange(cy - upp * h / 2, cy + upp * h / 2);
    }
    m_clamping = false;
    scheduleGrid();
    replot(rpQueuedReplot);
}

void HeatmapWidget::clampRanges() {
    if (m_clamping || !m_source) return;
    if (m_aspect) fitAspect();
    m_clamping = true;
    const auto clampAxis = [this](QCPAxis* axis, double extent) {
        QCPRange r = axis->range();
        const double lo = -0.5, hi = extent - 0.5;
        if (r.size() >= hi - lo) {
            // With square cells the view may be wider than the matrix: keep it centred.
            r = m_aspect ? QCPRange((lo + hi - r.size()) / 2, (lo + hi + r.size()) / 2)
                         : QCPRange(lo, hi);
        } else if (r.lower < lo) {
            r = QCPRange(lo, lo + r.size());
        } else if (r.upper > hi) {
            r = QCPRange(hi - r.size(), hi);
        }
        if (r != axis->range()) axis->setRange(r);
    };
    clampAxis(xAxis, double(m_source->cols()));
    clampAxis(yAxis, double(m_source->rows()));
    m_clamping = false;
}

void HeatmapWidget::scheduleGrid() {
    if (m_source) m_gridTimer.start();
}

QSize HeatmapWidget::gridLimit() const {
    int w = axisRect()->width(), h = axisRect()->height();
    if (w < 32 || h < 32) {
        w = width() - 120;
        h = height() - 80;
    }
    const double dpr = devicePixelRatioF();
    w = std::clamp(int(std::ceil(w * dpr)), 16, 4096);
    h = std::clamp(int(std::ceil(h * dpr)), 16, 4096);
    return QSize(w, h);
}

void HeatmapWidget::updateGrid() {
    m_gridTimer.stop();
    if (!m_source || m_source->rows() == 0 || m_source->cols() == 0) return;
    const QCPRange xr = xAxis->range(), yr = yAxis->range();
    const int64_t cols = m_source->cols(), rows = m_source->rows();
    const auto first = [](double lower, int64_t n) {
        return std::clamp<int64_t>(int64_t(std::floor(lower + 0.5)), 0, n);
    };
    const auto end = [](double upper, int64_t n) {
        return std::clamp<int64_t>(int64_t(std::ceil(upper - 0.5)) + 1, 0, n);
    };
    const int64_t c0 = first(xr.lower, cols), c1 = end(xr.upper, cols);
    const int64_t r0 = first(yr.lower, rows), r1 = end(yr.upper, rows);
    const QSize limit = gridLimit();
    QString error;
    if (!m_source->pool(r0, c0, std::max<int64_t>(r1 - r0, 1), std::max<int64_t>(c1 - c0, 1),
                        limit.height(), limit.width(), &m_grid, &error)) {
        m_sourceError = error;
        return;
    }
    m_sourceError.clear();
    const int nx = int(m_grid.values.cols()), ny = int(m_grid.values.rows());
    if (nx == 0 || ny == 0) return;
    // A dimension of one cell is drawn as two half cells: QCPColorMap needs two
    // cells to know a cell's width.
    const int dx = nx == 1 ? 2 : 1, dy = ny == 1 ? 2 : 1;
    const double cw = double(m_grid.colCount) / (nx * dx);
    const double ch = double(m_grid.rowCount) / (ny * dy);
    const double x0 = double(m_grid.colStart) - 0.5, y0 = double(m_grid.rowStart) - 0.5;
    auto* data = new QCPColorMapData(nx * dx, ny * dy,
                                     QCPRange(x0 + cw / 2, x0 + double(m_grid.colCount) - cw / 2),
                                     QCPRange(y0 + ch / 2, y0 + double(m_grid.rowCount) - ch / 2));
    for (int r = 0; r < ny; ++r) {
        const float* row = m_grid.values.data() + int64_t(r) * nx;
        for (int c = 0; c < nx; ++c)
            for (int i = 0; i < dy; ++i)
                for (int j = 0; j < dx; ++j)
                    data->setCell(c * dx + j, r * dy + i, row[c]);
    }
    m_map->setData(data);
    m_map->invalidate();
    replot(rpQueuedReplot);
}

const QCPColorMapData* HeatmapWidget::gridData() const {
    return m_map->data();
}

double HeatmapWidget::gridCell(int col, int row) const {
    return m_map->data()->cell(col, row);
}

QString HeatmapWidget::readoutAt(int64_t row, int64_t col) const {
    if (!m_values || row < 0 || col < 0 || row >= m_values->rows() || col >= m_values->cols())
        return QString();
    double v = (*m_values)(Eigen::Index(row), Eigen::Index(col));
    QString value = formatFloat(float(v));
    QString index;
    const int64_t flat = m_flatOf ? m_flatOf(row, col) : row * m_values->cols() + col;
    if (m_flatOf && flat < 0) return tr("row %1, column %2: (gap)").arg(row).arg(col);
    if (m_tensor) {
        const bool wide = m_tensor->dtype == DType::Float64 || m_tensor->dtype == DType::Int64 ||
                          m_tensor->dtype == DType::UInt64 || m_tensor->dtype == DType::Int32 ||
                          m_tensor->dtype == DType::UInt32;
        if (wide && !m_diff && m_tensor->storage && m_tensor->storage->isLoaded())
            v = m_tensor->at(flat);
        value = formatValue(v, m_tensor->dtype);
        if (m_tensor->rank() > 2) {
            QStringList parts;
            int64_t rest = flat;
            std::vector<int64_t> idx(m_tensor->shape.size());
            for (int d = m_tensor->rank() - 1; d >= 0; --d) {
                const int64_t n = std::max<int64_t>(m_tensor->shape[size_t(d)], 1);
                idx[size_t(d)] = rest % n;
                rest /= n;
            }
            for (int64_t i : idx)
                parts << QString::number(i);
            index = QStringLiteral(" [%1]").arg(parts.join(QLatin1String(", ")));
        }
    }
    if (m_diff) value = QStringLiteral("Δ ") + value;
    return tr("row %1, column %2%3: %4").arg(row).arg(col).arg(index, value);
}

void HeatmapWidget::cellAt(const QPointF& pos, int64_t* row, int64_t* col) const {
    *col = int64_t(std::floor(xAxis->pixelToCoord(pos.x()) + 0.5));
    *row = int64_t(std::floor(yAxis->pixelToCoord(pos.y()) + 0.5));
}

void HeatmapWidget::placeRect(QCPItemRect* item, int64_t row0, int64_t col0, int64_t nRows,
                              int64_t nCols) {
    item->topLeft->setCoords(double(col0) - 0.5, double(row0) - 0.5);
    item->bottomRight->setCoords(double(col0 + nCols) - 0.5, double(row0 + nRows) - 0.5);
    item->setVisible(nRows > 0 && nCols > 0);
    replot(rpQueuedReplot);
}

void HeatmapWidget::setCurrentCell(int64_t row, int64_t col) {
    if (row < 0 || col < 0 || !m_values) {
        m_cursorRow = m_cursorCol = -1;
        m_currentItem->setVisible(false);
        replot(rpQueuedReplot);
        return;
    }
    m_cursorRow = row;
    m_cursorCol = col;
    placeRect(m_currentItem, row, col, 1, 1);
}

void HeatmapWidget::setSelectionRect(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (!m_values) nRows = 0;
    placeRect(m_selectionItem, row0, col0, nRows, nCols);
}

void HeatmapWidget::resizeEvent(QResizeEvent* event) {
    QCustomPlot::resizeEvent(event);
    if (m_aspect) {
        plotLayout()->update(QCPLayoutElement::upLayout);
        clampRanges();
    }
    scheduleGrid();
}

} // namespace ws
