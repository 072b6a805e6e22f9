// Figures of the plots on screen: heatmaps through renderFigure with the widget's
// source, colours and visible region; other plots drawn by QCustomPlot with their
// texts and fonts set for the export and restored afterwards.
#include "PlotImage.h"

#include "BarChartWidget.h"
#include "FigureExport.h"
#include "FigureRenderer.h"
#include "HeatmapWidget.h"
#include "PlotExport.h"
#include "PlotStyle.h"

#include <QFileInfo>
#include <QGuiApplication>
#include <QPainter>
#include <QScreen>
#include <algorithm>
#include <cmath>

namespace ws {

namespace {

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

QCPTextElement* titleElement(QCustomPlot* plot) {
    QCPLayoutGrid* grid = plot->plotLayout();
    for (int i = 0; i < grid->elementCount(); ++i)
        if (auto* t = qobject_cast<QCPTextElement*>(grid->elementAt(i))) return t;
    return nullptr;
}

/// Cells [first, first + count) of an axis that the visible range shows.
void visibleCells(const QCPRange& range, int64_t size, int64_t* first, int64_t* count) {
    const double lo = std::min(range.lower, range.upper), hi = std::max(range.lower, range.upper);
    const int64_t a = std::clamp<int64_t>(int64_t(std::floor(lo + 0.5 + 1e-9)), 0, size - 1);
    const int64_t b = std::clamp<int64_t>(int64_t(std::ceil(hi - 0.5 - 1e-9)), a, size - 1);
    *first = a;
    *count = b - a + 1;
}

/// The figure of what \a w shows: its source, colours, visible cells; texts and sizes
/// from \a o.
bool heatmapFigure(const HeatmapWidget& w, const PlotImageOptions& o,
                   std::shared_ptr<const MatrixSource>* source, ColorScale* spec,
                   FigureOptions* fig, QString* error) {
    *source = w.source();
    if (!*source || (*source)->rows() == 0 || (*source)->cols() == 0)
        return fail(error, QObject::tr("Nothing to export: the heatmap shows no tensor."));
    *spec = w.colorSpec();
    fig->widthPt = o.widthPt;
    fig->heightPt = o.heightPt;
    fig->dpi = o.dpi;
    fig->fontSizePt = o.fontSizePt;
    fig->fontFamily = o.fontFamily;
    fig->title = o.title;
    fig->xLabel = o.xLabel;
    fig->yLabel = o.yLabel;
    fig->colorBarLabel = o.colorBarLabel;
    fig->colorBar = o.showColorBar;
    w.rangeExtended(&fig->extendUnder, &fig->extendOver);
    visibleCells(w.xAxis->range(), (*source)->cols(), &fig->col0, &fig->nCols);
    visibleCells(w.yAxis->range(), (*source)->rows(), &fig->row0, &fig->nRows);
    return true;
}

/// Fonts, tick lengths and paddings of a plot, put back exactly (scaling them back by
/// the inverse factor would drift: lengths are whole pixels).
class PlotLook {
public:
    explicit PlotLook(QCustomPlot* plot) {
        for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
            if (auto* rect = qobject_cast<QCPAxisRect*>(e)) {
                for (QCPAxis* axis : rect->axes())
                    m_axes.push_back(save(axis));
            } else if (auto* scale = qobject_cast<QCPColorScale*>(e)) {
                m_axes.push_back(save(scale->axis()));
                m_bars.push_back({scale, scale->barWidth()});
            } else if (auto* text = qobject_cast<QCPTextElement*>(e)) {
                m_texts.push_back({text, text->font()});
            }
        }
    }
    void restore() const {
        for (const Axis& a : m_axes) {
            a.axis->setTickLabelFont(a.tickFont);
            a.axis->setLabelFont(a.labelFont);
            a.axis->setTickLengthIn(a.tickIn);
            a.axis->setSubTickLengthIn(a.subTickIn);
            a.axis->setTickLabelPadding(a.tickPadding);
            a.axis->setLabelPadding(a.labelPadding);
        }
        for (const auto& [scale, width] : m_bars)
            scale->setBarWidth(width);
        for (const auto& [text, font] : m_texts)
            text->setFont(font);
    }

private:
    struct Axis {
        QCPAxis* axis;
        QFont tickFont, labelFont;
        int tickIn, subTickIn, tickPadding, labelPadding;
    };
    static Axis save(QCPAxis* a) {
        return {a,
                a->tickLabelFont(),
                a->labelFont(),
                a->tickLengthIn(),
                a->subTickLengthIn(),
                a->tickLabelPadding(),
                a->labelPadding()};
    }
    std::vector<Axis> m_axes;
    std::vector<std::pair<QCPColorScale*, int>> m_bars;
    std::vector<std::pair<QCPTextElement*, QFont>> m_texts;
};

// Sets a plot's texts, colour bar, fonts and overlays for an export and puts them back.
class ExportState {
public:
    ExportState(QCustomPlot* plot, const PlotImageOptions& o) : m_plot(plot), m_look(plot) {
        m_title = titleElement(plot);
        if (m_title) {
            m_titleText = m_title->text();
            m_titleVisible = m_title->visible();
            m_title->setText(o.title);
            m_title->setVisible(!o.title.isEmpty());
        }
        m_x = plot->xAxis->label();
        m_y = plot->yAxis->label();
        plot->xAxis->setLabel(o.xLabel);
        plot->yAxis->setLabel(o.yLabel);
        QCPLayoutGrid* grid = plot->plotLayout();
        for (int i = 0; i < grid->elementCount(); ++i)
            if (auto* s = qobject_cast<QCPColorScale*>(grid->elementAt(i)); s && !o.showColorBar) {
                grid->indexToRowCol(i, m_scaleRow, m_scaleCol);
                m_scale = s;
                grid->take(s);
                s->setVisible(false);
            }
        if (m_scale) grid->simplify();
        if (auto* bars = qobject_cast<BarChartWidget*>(plot)) {
            m_selection = bars->selectionItem();
            m_selectionVisible = m_selection->visible();
            m_selection->setVisible(false);
        }
        const double base = plot->xAxis->tickLabelFont().pointSizeF();
        if (base > 0)
            scalePlotFonts(plot, std::max(o.fontSizePt, FigureOptions::kMinFontPt) / base);
    }
    ~ExportState() {
        m_look.restore();
        if (m_title) {
            m_title->setText(m_titleText);
            m_title->setVisible(m_titleVisible);
        }
        m_plot->xAxis->setLabel(m_x);
        m_plot->yAxis->setLabel(m_y);
        if (m_scale) {
            m_scale->setVisible(true);
            m_plot->plotLayout()->addElement(m_scaleRow, m_scaleCol, m_scale);
        }
        if (m_selection) m_selection->setVisible(m_selectionVisible);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    ExportState(const ExportState&) = delete;
    ExportState& operator=(const ExportState&) = delete;

private:
    QCustomPlot* m_plot;
    QCPTextElement* m_title = nullptr;
    QString m_titleText, m_x, m_y;
    bool m_titleVisible = false;
    QCPColorScale* m_scale = nullptr;
    int m_scaleRow = 0, m_scaleCol = 0;
    QCPItemRect* m_selection = nullptr;
    bool m_selectionVisible = false;
    PlotLook m_look;
};

double screenDpi() {
    const QScreen* s = QGuiApplication::primaryScreen();
    const double dpi = s ? s->logicalDotsPerInchY() : 96;
    return dpi > 0 ? dpi : 96;
}

} // namespace

PlotImageOptions plotDefaults(QCustomPlot* plot) {
    PlotImageOptions o;
    if (auto* h = qobject_cast<HeatmapWidget*>(plot)) {
        o.title = h->title();
        o.colorBarLabel = h->colorScale()->axis()->label();
    } else if (QCPTextElement* t = titleElement(plot); t && t->visible()) {
        o.title = t->text();
    }
    o.xLabel = plot->xAxis->label();
    o.yLabel = plot->yAxis->label();
    return o;
}

bool exportPlot(QCustomPlot* plot, const QString& path, const PlotImageOptions& o, QString* error) {
    if (!(o.widthPt >= 36 && o.heightPt >= 36 && o.widthPt <= 14400 && o.heightPt <= 14400) ||
        o.dpi < 10 || o.dpi > 4800)
        return fail(error, QObject::tr("a figure of %1 x %2 in at %3 dpi is out of range (0.5 "
                                       "to 200 in, 10 to 4800 dpi)")
                               .arg(o.widthPt / 72, 0, 'g', 4)
                               .arg(o.heightPt / 72, 0, 'g', 4)
                               .arg(o.dpi));
    if (QFileInfo(path).suffix().compare(QLatin1String("png"), Qt::CaseInsensitive) == 0 &&
        (pixelsFor(o.widthPt, o.dpi) > 16384 || pixelsFor(o.heightPt, o.dpi) > 16384))
        return fail(error, QObject::tr("%1: %2 x %3 pixels is too large (at most 16384 each)")
                               .arg(path)
                               .arg(pixelsFor(o.widthPt, o.dpi))
                               .arg(pixelsFor(o.heightPt, o.dpi)));
    if (auto* h = qobject_cast<HeatmapWidget*>(plot)) {
        std::shared_ptr<const MatrixSource> source;
        ColorScale spec;
        FigureOptions fig;
        if (!heatmapFigure(*h, o, &source, &spec, &fig, error)) return false;
        return writeFigure(path, *source, spec, fig, error);
    }
    FigureFile probe; // the type and the folder, before touching the plot
    if (!probe.open(path, o.widthPt, o.heightPt, o.dpi, QString(), error)) return false;
    ExportState state(plot, o);
    return savePlotFile(plot, path, o.widthPt, o.heightPt, o.dpi, o.title, error);
}

QImage plotImage(QCustomPlot* plot, int width, int height) {
    PlotImageOptions o = plotDefaults(plot);
    const double dpi = screenDpi();
    o.widthPt = width * 72.0 / dpi;
    o.heightPt = height * 72.0 / dpi;
    if (auto* h = qobject_cast<HeatmapWidget*>(plot)) {
        std::shared_ptr<const MatrixSource> source;
        ColorScale spec;
        FigureOptions fig;
        QString error;
        if (!heatmapFigure(*h, o, &source, &spec, &fig, &error)) return QImage();
        fig.dpi = dpi;
        return figureImage(*source, spec, fig, &error);
    }
    o.fontSizePt = plot->xAxis->tickLabelFont().pointSizeF();
    ExportState state(plot, o);
    return plot->toPixmap(width, height, 1.0).toImage();
}

} // namespace ws
