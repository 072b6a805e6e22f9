// HeatmapWidget's grid: which pooled tiles the visible window needs, the preview shown at
// once from cached tiles, and the background fill that refines it. Kept apart from the
// widget's drawing and interaction (HeatmapWidget.cpp) so each file reads on its own.
#include "HeatmapWidget.h"

#include <QPointer>
#include <QThreadPool>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ws {

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
    if (!hasData()) return;
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
    const int64_t nr = std::max<int64_t>(r1 - r0, 1), nc = std::max<int64_t>(c1 - c0, 1);
    const QSize limit = gridLimit();
    const TileLevel level = levelFor(nr, nc, limit.height(), limit.width());
    m_overview = levelFor(rows, cols, limit.height(), limit.width());
    const bool small = rows * cols <= HeatmapWidget::kSyncElements || m_values;
    QString error;
    // The whole matrix's overview gives the exact colour range; the view its picture.
    std::vector<TileIndex> missingOverview, missing;
    PooledGrid overview, grid;
    std::pair<double, double> range;
    bool haveOverview =
        composeGrid(*m_source, m_overview, 0, 0, rows, cols, &overview, &missingOverview, &range);
    bool haveView = composeGrid(*m_source, level, r0, c0, nr, nc, &grid, &missing);
    if (small && (!haveOverview || !haveView)) {
        // Small: compute what is missing now (a few milliseconds).
        if (!fillTiles(*m_source, m_overview, missingOverview, &error) ||
            !fillTiles(*m_source, level, missing, &error)) {
            m_sourceError = error;
            return;
        }
        haveOverview =
            composeGrid(*m_source, m_overview, 0, 0, rows, cols, &overview, nullptr, &range);
        haveView = composeGrid(*m_source, level, r0, c0, nr, nc, &grid, nullptr);
    }
    m_sourceError.clear();
    if (haveOverview && !m_rangeExact) {
        m_dataMin = range.first;
        m_dataMax = range.second;
        m_rangeExact = true;
        if (!m_fixedMap && !m_diff) setColorMap(ColorMap::defaultFor(m_dataMin, m_dataMax));
        if (m_rangeMode != RangeMode::Manual) autoRange();
    }
    if (haveView) {
        showGrid(std::move(grid));
        if (haveOverview) {
            cancelFill();
            if (m_refining) {
                m_refining = false;
                m_refiningLabel->setVisible(false);
                Q_EMIT refined();
            }
            replot(rpQueuedReplot);
            return;
        }
    } else {
        // Something to look at now: a coarser level already cached, else a preview that
        // reads one row in fr of the view.
        bool shown = false;
        for (TileLevel coarse = {level.fr * 2, level.fc * 2};
             !shown && (coarse.fr < 2 * rows || coarse.fc < 2 * cols);
             coarse = {coarse.fr * 2, coarse.fc * 2}) {
            PooledGrid g;
            if (composeGrid(*m_source, coarse, r0, c0, nr, nc, &g, nullptr)) {
                showGrid(std::move(g));
                shown = true;
            }
        }
        if (!shown && m_grid.values.size() == 0) {
            PooledGrid preview;
            if (!previewGrid(*m_source, level, r0, c0, nr, nc, &preview, &error)) {
                m_sourceError = error;
                return;
            }
            if (!m_rangeExact) { // a first colour range from what was read
                double lo = std::numeric_limits<double>::infinity(), hi = -lo;
                for (Eigen::Index i = 0; i < preview.values.size(); ++i) {
                    const double v = preview.values.data()[i];
                    if (std::isfinite(v)) {
                        lo = std::min(lo, v);
                        hi = std::max(hi, v);
                    }
                }
                if (lo <= hi) {
                    m_dataMin = lo;
                    m_dataMax = hi;
                    if (!m_fixedMap && !m_diff)
                        setColorMap(ColorMap::defaultFor(m_dataMin, m_dataMax));
                    if (m_rangeMode != RangeMode::Manual) autoRange();
                }
            }
            showGrid(std::move(preview));
        }
    }
    // The rest in the background: the overview first (the range), then the view.
    std::vector<TileIndex> todo = missingOverview;
    if (!(level == m_overview)) {
        // (tiles of another level go in a second job once these are done)
        if (missingOverview.empty()) {
            startFill(level, missing);
            return;
        }
    }
    startFill(m_overview, todo.empty() ? missing : todo);
}

void HeatmapWidget::showGrid(PooledGrid grid) {
    m_grid = std::move(grid);
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

void HeatmapWidget::cancelFill() {
    if (m_fill) m_fill->store(true);
    m_fill.reset();
}

void HeatmapWidget::startFill(TileLevel level, std::vector<TileIndex> tiles) {
    cancelFill();
    if (tiles.empty()) return;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_fill = cancel;
    const quint64 generation = ++m_fillGeneration;
    if (!m_refining) {
        m_refining = true;
        m_refiningLabel->setVisible(true);
        replot(rpQueuedReplot);
    }
    QPointer<HeatmapWidget> self(this);
    std::shared_ptr<const MatrixSource> source = m_source;
    QThreadPool::globalInstance()->start([self, source, level, tiles, cancel, generation] {
        QString error;
        const bool ok = fillTiles(*source, level, tiles, &error, cancel.get());
        if (cancel->load()) return;
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, ok, error, generation, cancel] {
                if (!self || cancel->load() || self->m_fillGeneration != generation) return;
                self->m_fill.reset();
                if (!ok) {
                    self->m_sourceError = error;
                    self->m_refining = false;
                    self->m_refiningLabel->setVisible(false);
                    self->replot(rpQueuedReplot);
                    return;
                }
                self->updateGrid();
            },
            Qt::QueuedConnection);
    });
}

} // namespace ws
