// HeatmapWidget's grid: which pooled tiles the visible window needs, the preview shown at
// once from cached tiles, and the background fill that refines it. Kept apart from the
// widget's drawing and interaction (HeatmapWidget.cpp) so each file reads on its own.
// A large remote source is read whole only on request: until then the overview is a
// preview (one row in fr) and only views of at most remoteFetchLimit() bytes are filled,
// so that looking at a 2 GB embedding on a server costs megabytes, not gigabytes.
#include "HeatmapWidget.h"

#include <QLocale>
#include <QPointer>
#include <QThreadPool>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace ws {

int64_t HeatmapWidget::s_remoteFetchLimit = int64_t(64) << 20;

void HeatmapWidget::setRemoteFetchLimit(int64_t bytes) {
    s_remoteFetchLimit = std::max<int64_t>(bytes, 0);
}

int64_t HeatmapWidget::remoteFetchLimit() {
    return s_remoteFetchLimit;
}

void HeatmapWidget::fetchWhole() {
    if (!hasData()) return;
    m_fetchAll = true;
    m_awaitingFetch = false;
    showNote(QString());
    updateGrid();
}

void HeatmapWidget::showNote(const QString& text) {
    if (!m_note) return;
    if (text == m_note->text() && m_note->visible() == !text.isEmpty()) return;
    if (!text.isEmpty()) m_note->setText(text);
    m_note->setVisible(!text.isEmpty());
    replot(rpQueuedReplot);
}

QString HeatmapWidget::statusNote() const {
    return m_note && m_note->visible() ? m_note->text() : QString();
}

bool HeatmapWidget::noteContains(const QPointF& pos) const {
    if (!m_note || !m_note->visible()) return false;
    return QRectF(m_note->topLeft->pixelPosition(), m_note->bottomRight->pixelPosition())
        .normalized()
        .contains(pos);
}

void HeatmapWidget::offerWholeFetch(int64_t previewRows) {
    m_awaitingFetch = true;
    const QString all = QLocale().formattedDataSize(m_source->remoteBytes());
    showNote(previewRows > 1
                 ? tr("preview: 1 row in %1 · click to read all %2").arg(previewRows).arg(all)
                 : tr("colours from a preview · click to read all %1").arg(all));
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
    // A large remote source: no pass over every value until the user asks; a view is
    // read in full when it is small enough, else previewed.
    const int64_t remote = small ? 0 : m_source->remoteBytes();
    const bool onDemand = !m_fetchAll && remote > s_remoteFetchLimit;
    const bool viewFits =
        !onDemand || double(remote) * double(nr) * double(nc) / (double(rows) * double(cols)) <=
                         double(s_remoteFetchLimit);
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
        m_previewKey = {};
        showGrid(std::move(grid));
        if (haveOverview || onDemand) {
            cancelFill();
            showNote(QString());
            m_awaitingFetch = false;
            if (m_refining) {
                m_refining = false;
                Q_EMIT refined();
            }
            if (!haveOverview) offerWholeFetch(0);
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
                m_previewKey = {};
                showGrid(std::move(g));
                shown = true;
            }
        }
        // (On demand, a view that will not be filled gets its own preview, once.)
        const std::array<int64_t, 6> previewKey = {level.fr, level.fc, r0, c0, nr, nc};
        if (!shown && previewKey != m_previewKey && (m_grid.values.size() == 0 || !viewFits)) {
            m_previewKey = previewKey;
            if (remote > 0) {
                // Over the network even a preview takes a while: read it off this thread.
                startPreview(level, r0, c0, nr, nc);
            } else {
                PooledGrid preview;
                if (!previewGrid(*m_source, level, r0, c0, nr, nc, &preview, &error)) {
                    m_sourceError = error;
                    return;
                }
                showPreview(std::move(preview));
            }
        }
    }
    if (onDemand) {
        cancelFill();
        if (viewFits) {
            startFill(level, missing);
        } else {
            m_refining = false;
            offerWholeFetch(level.fr);
        }
        return;
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

void HeatmapWidget::showPreview(PooledGrid preview) {
    if (!m_rangeExact && !m_previewRanged) { // a first colour range from what was read
        m_previewRanged = true;
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
            if (!m_fixedMap && !m_diff) setColorMap(ColorMap::defaultFor(m_dataMin, m_dataMax));
            if (m_rangeMode != RangeMode::Manual) autoRange();
        }
    }
    showGrid(std::move(preview));
}

void HeatmapWidget::startPreview(TileLevel level, int64_t r0, int64_t c0, int64_t nr, int64_t nc) {
    cancelPreview();
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_previewJob = cancel;
    const std::array<int64_t, 6> key = m_previewKey;
    QPointer<HeatmapWidget> self(this);
    std::shared_ptr<const MatrixSource> source = m_source;
    QThreadPool::globalInstance()->start([self, source, level, r0, c0, nr, nc, cancel, key] {
        auto preview = std::make_shared<PooledGrid>();
        QString error;
        const bool ok = previewGrid(*source, level, r0, c0, nr, nc, preview.get(), &error);
        if (cancel->load()) return;
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, source, ok, error, cancel, key, preview] {
                if (!self || cancel->load() || self->m_source != source ||
                    self->m_previewKey != key)
                    return;
                self->m_previewJob.reset();
                if (!ok) {
                    self->m_sourceError = error;
                    return;
                }
                self->showPreview(std::move(*preview));
            },
            Qt::QueuedConnection);
    });
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

void HeatmapWidget::cancelPreview() {
    if (m_previewJob) m_previewJob->store(true);
    m_previewJob.reset();
}

void HeatmapWidget::startFill(TileLevel level, std::vector<TileIndex> tiles) {
    cancelFill();
    if (tiles.empty()) return;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_fill = cancel;
    const quint64 generation = ++m_fillGeneration;
    m_awaitingFetch = false;
    m_refining = true;
    showNote(tr("refining…"));
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
                    self->showNote(QString());
                    return;
                }
                self->updateGrid();
            },
            Qt::QueuedConnection);
    });
}

} // namespace ws
