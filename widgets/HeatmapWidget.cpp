// Colour-map view of a tensor's 2-D values with max-magnitude pooling for large matrices.
#include "HeatmapWidget.h"

#include "ColorMap.h"
#include "PlotStyle.h"

#include <QCoreApplication>
#include <QPointer>
#include <QRegularExpression>
#include <QThreadPool>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

namespace {

bool isEmbeddingName(const QString& name) {
    static const QRegularExpression re(QStringLiteral("(embed|wte|wpe|tok_|token|vocab)"),
                                       QRegularExpression::CaseInsensitiveOption);
    return re.match(name).hasMatch();
}

bool isWeightName(QString name) {
    // A derived view's ":dequantized" (a quantized layer's logical weight) is a weight too.
    const int colon = int(name.lastIndexOf(QLatin1Char(':')));
    if (colon > 0 &&
        std::all_of(name.begin() + colon + 1, name.end(), [](QChar c) { return c.isLetter(); }))
        name.truncate(colon);
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
    m_note = new QCPItemText(this);
    m_note->setClipToAxisRect(false);
    m_note->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_note->position->setCoords(1, 0);
    m_note->setPositionAlignment(Qt::AlignRight | Qt::AlignTop);
    m_note->setText(tr("refining…"));
    m_note->setColor(QColor(40, 40, 40));
    m_note->setBrush(QColor(255, 255, 255, 200));
    m_note->setPadding(QMargins(4, 2, 4, 2));
    m_note->setSelectable(false);
    m_note->setLayer(QStringLiteral("overlay"));
    m_note->setVisible(false);
    clear();
}

HeatmapWidget::~HeatmapWidget() {
    cancelFill();
    cancelPreview();
}

void HeatmapWidget::setValues(std::shared_ptr<const MatrixF> values, TensorPtr tensor) {
    if (!values) {
        clear();
        return;
    }
    m_values = values; // in memory: drawn at once, whatever its size
    showSource(memorySource(std::move(values)), std::move(tensor), nullptr);
}

void HeatmapWidget::setTensor(TensorPtr tensor) {
    if (!tensor) {
        clear();
        return;
    }
    m_values.reset();
    showSource(tensorSource(tensor), tensor, nullptr);
}

bool HeatmapWidget::setSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor,
                              QString* error) {
    if (!source) {
        clear();
        return false;
    }
    m_values.reset();
    return showSource(std::move(source), std::move(tensor), error);
}

bool HeatmapWidget::showSource(std::shared_ptr<const MatrixSource> source, TensorPtr tensor,
                               QString* error) {
    cancelFill();
    cancelPreview();
    m_source = std::move(source);
    m_tensor = std::move(tensor);
    m_sourceError.clear();
    m_sample.clear();
    m_sampled = false;
    m_rangeExact = false;
    m_fetchAll = m_awaitingFetch = m_previewRanged = false;
    m_previewKey = {};
    showNote(QString());
    m_dataMin = m_dataMax = 0;
    const int64_t n = m_source->rows() * m_source->cols();
    if (n <= HeatmapWidget::kSyncElements || m_values) {
        if (!m_source->finiteMinMax(&m_dataMin, &m_dataMax, error)) {
            clear();
            return false;
        }
        m_rangeExact = true;
    }
    m_flatOf = nullptr;
    m_nanColor = qRgb(255, 0, 255);
    m_cursorRow = m_cursorCol = -1;
    m_cellGrid->rows = m_source->rows();
    m_cellGrid->cols = m_source->cols();
    if (m_rangeMode == RangeMode::Manual) m_rangeMode = RangeMode::Auto;
    if (m_rangeExact) {
        if (!m_fixedMap && !m_diff) setColorMap(ColorMap::defaultFor(m_dataMin, m_dataMax));
        autoRange();
    }
    m_currentItem->setVisible(false);
    m_selectionItem->setVisible(false);
    chooseAxisTitles();
    m_map->setVisible(true);
    m_scale->setVisible(true);
    resetView();
    updateGrid(); // small: the final picture; large: a preview, refined in the background
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
    } else if (rank == 2 && isWeightName(name) && (m_storedInOut || m_tensor->inputMajor)) {
        xAxis->setLabel(tr("output features"));
        yAxis->setLabel(tr("input features"));
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
                     .arg(m_tensor->name, m_tensor->shapeString(), m_tensor->typeName(),
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
    cancelFill();
    cancelPreview();
    m_values.reset();
    m_source.reset();
    m_sample.clear();
    m_sampled = false;
    m_rangeExact = false;
    m_fetchAll = m_awaitingFetch = m_previewRanged = false;
    m_previewKey = {};
    m_refining = false;
    showNote(QString());
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
    if (!m_source) return;
    refreshValues(0, 0, m_source->rows(), m_source->cols());
}

void HeatmapWidget::refreshValues(int64_t row0, int64_t col0, int64_t nRows, int64_t nCols) {
    if (!m_source) return;
    // Tiles over the change go (a tensor's own tiles the document dropped already);
    // the range is found again from the whole matrix's tiles.
    TileCache::instance().invalidate(m_source->cacheKey(), row0, col0, nRows, nCols);
    m_sample.clear();
    m_sampled = false;
    if (m_source->rows() * m_source->cols() <= HeatmapWidget::kSyncElements || m_values) {
        double lo = 0, hi = 0;
        if (m_source->finiteMinMax(&lo, &hi, nullptr) && (lo != m_dataMin || hi != m_dataMax)) {
            m_dataMin = lo;
            m_dataMax = hi;
            if (m_rangeMode != RangeMode::Manual) autoRange();
        }
    } else {
        m_rangeExact = false; // until the overview's tiles are computed again
    }
    updateGrid();
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

const QCPColorMapData* HeatmapWidget::gridData() const {
    return m_map->data();
}

double HeatmapWidget::gridCell(int col, int row) const {
    return m_map->data()->cell(col, row);
}

QString HeatmapWidget::readoutAt(int64_t row, int64_t col) const {
    if (!hasData() || row < 0 || col < 0 || row >= m_source->rows() || col >= m_source->cols())
        return QString();
    std::vector<float> buffer;
    int64_t stride = 0;
    const float* p = m_source->tile(row, 1, col, 1, &buffer, &stride, nullptr);
    double v = p ? double(*p) : std::numeric_limits<double>::quiet_NaN();
    QString value = formatFloat(float(v));
    QString index;
    const int64_t flat = m_flatOf ? m_flatOf(row, col) : row * m_source->cols() + col;
    if (m_flatOf && flat < 0) return tr("row %1, column %2: (gap)").arg(row).arg(col);
    if (m_tensor) {
        const bool wide = m_tensor->dtype == DType::Float64 || m_tensor->dtype == DType::Int64 ||
                          m_tensor->dtype == DType::UInt64 || m_tensor->dtype == DType::Int32 ||
                          m_tensor->dtype == DType::UInt32;
        if (!m_diff && !m_tensor->encoding && m_tensor->storage && flat < m_tensor->numel()) {
            if (wide) v = m_tensor->at(flat);
            value = m_tensor->elementText(flat);
        } else {
            value = formatValue(v, m_tensor->dtype);
        }
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

MatrixF HeatmapWidget::readMatrix() const {
    MatrixF m;
    if (!hasData()) return m;
    m.resize(Eigen::Index(m_source->rows()), Eigen::Index(m_source->cols()));
    m_source->forEachTile(
        0, 0, m_source->rows(), m_source->cols(),
        [&](const MatrixSource::Tile& t) {
            for (int64_t r = 0; r < t.nRows; ++r)
                for (int64_t c = 0; c < t.nCols; ++c)
                    m(Eigen::Index(t.row0 + r), Eigen::Index(t.col0 + c)) =
                        t.data[r * t.stride + c];
        },
        nullptr);
    return m;
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
    if (row < 0 || col < 0 || !hasData()) {
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
    if (!hasData()) nRows = 0;
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
