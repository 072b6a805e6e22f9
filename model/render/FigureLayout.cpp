// Figure layout: margins grow from the page's padding until every text, tick and
// the colour bar fit; tick counts follow the space (matplotlib's tick spacing of
// three font sizes across, two down) and drop further until no labels touch.
#include "FigureLayout.h"

#include <QFontMetricsF>
#include <QPaintDevice>
#include <algorithm>
#include <cmath>

namespace ws {

namespace {

QFont makeFont(const QString& family, double pointSize) {
    QFont f(family);
    f.setPointSizeF(pointSize);
    // The same metrics on a 100 dpi PNG and in a PDF: no grid fitting.
    f.setHintingPreference(QFont::PreferNoHinting);
    return f;
}

/// Lays out one figure at one font size.
class Builder {
public:
    Builder(const FigureOptions& o, const ColorScale& spec, const QPaintDevice* device,
            double fontPt, FigureLayout* out)
        : m_o(o), m_spec(spec), m_device(device), m_size(fontPt), m_out(*out) {
        m_u = out->unit;
        m_tick = makeFont(o.fontFamily, fontPt);
        m_label = m_tick;
        m_title = makeFont(o.fontFamily, std::max(1.2 * fontPt, FigureOptions::kMinFontPt));
        m_sup = makeFont(o.fontFamily, std::max(0.7 * fontPt, FigureOptions::kMinFontPt));
        m_pad = pt(std::max(3.0, 0.4 * fontPt));
        m_out.tickLength = pt(3.5);
        m_out.lineWidth = pt(0.8);
        m_out.fontSizePt = fontPt;
    }

    void run() {
        // Margins grow from the padding until everything fits (tick labels depend on
        // the plot's size, so this takes a few rounds), then give back what a round
        // with wider labels left unused, as long as everything still fits.
        Margins m{m_pad, m_pad, m_pad, m_pad};
        for (int iter = 0; iter < 16; ++iter) {
            const Margins ex = excess(m);
            if (ex.fits(pt(0.01))) break;
            m.grow(ex, 1);
        }
        for (int iter = 0; iter < 4; ++iter) {
            const Margins ex = excess(m);
            Margins tighter = m;
            tighter.grow(ex, 0);
            if (!(tighter.l < m.l || tighter.r < m.r || tighter.t < m.t || tighter.b < m.b)) break;
            if (!excess(tighter).fits(pt(0.01))) break;
            m = tighter;
        }
        excess(m); // the layout of the margins kept
    }

private:
    struct Margins {
        double l, r, t, b;
        bool fits(double tol) const { return l <= tol && r <= tol && t <= tol && b <= tol; }
        /// Adds \a ex's positive parts (plus \a nudge to settle), or with nudge 0 the
        /// negative parts too (gives back unused space).
        void grow(const Margins& ex, double nudge) {
            const auto by = [nudge](double e) {
                return nudge > 0 ? std::max(0.0, e) + (e > 0 ? nudge : 0) : std::min(0.0, e);
            };
            l += by(ex.l);
            r += by(ex.r);
            t += by(ex.t);
            b += by(ex.b);
        }
    };

    /// Places everything inside margins \a m and returns by how much it overflows the
    /// padded page on each side (negative: room to spare).
    Margins excess(const Margins& m) {
        const QRectF page = m_out.page;
        QRectF p = page.adjusted(m.l, m.t, -m.r, -m.b);
        if (p.width() < pt(1)) p.setWidth(pt(1));
        if (p.height() < pt(1)) p.setHeight(pt(1));
        // Whole device units: crisp edges in a PNG, negligible in a PDF.
        p = QRectF(QPointF(std::round(p.left()), std::round(p.top())),
                   QPointF(std::round(p.right()), std::round(p.bottom())));
        place(p);
        const QRectF box = extent();
        return {page.left() + m_pad - box.left(), box.right() - (page.right() - m_pad),
                page.top() + m_pad - box.top(), box.bottom() - (page.bottom() - m_pad)};
    }

private:
    double pt(double points) const { return points * m_u; }

    struct Extent {
        double width = 0, up = 0, down = 0, raise = 0;
    };

    Extent measure(const QString& text, const QString& sup, const QFont& font) const {
        const QFontMetricsF fm(font, m_device);
        Extent e;
        e.width = fm.horizontalAdvance(text);
        e.up = fm.ascent();
        e.down = fm.descent();
        if (!sup.isEmpty()) {
            const QFontMetricsF fs(m_sup, m_device);
            e.width += fs.horizontalAdvance(sup);
            e.raise = 0.45 * fm.ascent();
            e.up = std::max(e.up, e.raise + fs.ascent());
        }
        return e;
    }

    QString elide(const QString& text, const QFont& font, double width) const {
        return QFontMetricsF(font, m_device).elidedText(text, Qt::ElideRight, std::max(0.0, width));
    }

    /// A horizontal text whose box starts at \a left with its baseline at \a baseline.
    FigureText horizontal(FigureText::Role role, const TickLabel& label, const QFont& font,
                          double left, double baseline) const {
        const Extent e = measure(label.text, label.sup, font);
        FigureText t;
        t.role = role;
        t.text = label.text;
        t.sup = label.sup;
        t.font = font;
        t.supFont = m_sup;
        t.sizePt = font.pointSizeF();
        t.supRaise = e.raise;
        t.origin = QPointF(left, baseline);
        t.bounds = QRectF(left, baseline - e.up, e.width, e.up + e.down);
        return t;
    }

    /// A text reading upwards, its box's left edge at \a left, centred on \a centreY.
    FigureText vertical(FigureText::Role role, const QString& text, const QFont& font, double left,
                        double centreY) const {
        const Extent e = measure(text, QString(), font);
        FigureText t;
        t.role = role;
        t.text = text;
        t.font = font;
        t.supFont = m_sup;
        t.sizePt = font.pointSizeF();
        t.vertical = true;
        // Rotated anticlockwise, the ascent lies to the left of the baseline.
        t.origin = QPointF(left + e.up, centreY + e.width / 2);
        t.bounds = QRectF(left, centreY - e.width / 2, e.up + e.down, e.width);
        return t;
    }

    static bool overlapsNext(const std::vector<FigureText>& texts, bool alongX, double gap) {
        for (size_t i = 1; i < texts.size(); ++i) {
            const QRectF& a = texts[i - 1].bounds;
            const QRectF& b = texts[i].bounds;
            if (alongX ? a.right() + gap > b.left() : a.bottom() + gap > b.top()) return true;
        }
        return false;
    }

    /// Integer ticks of one axis: the most that fit without touching labels.
    void indexTicks(const QRectF& p, bool xAxis, std::vector<double>* positions,
                    std::vector<FigureText>* labels) const {
        const int64_t first = xAxis ? m_out.col0 : m_out.row0;
        const int64_t count = xAxis ? m_out.nCols : m_out.nRows;
        const double length = xAxis ? p.width() : p.height();
        const double cell = length / double(count);
        const double perBin = (xAxis ? 3 : 2) * m_size;
        const int target = std::clamp(int(std::floor(length / m_u / perBin)), 1, 9);
        for (int nbins : binCounts(target)) {
            positions->clear();
            labels->clear();
            const std::vector<double> ticks =
                niceTicks(double(first) - 0.5, double(first + count) - 0.5, nbins, true);
            const std::vector<TickLabel> text = formatTicks(ticks, nullptr);
            for (size_t i = 0; i < ticks.size(); ++i) {
                const double at = (ticks[i] - double(first) + 0.5) * cell;
                const Extent e = measure(text[i].text, QString(), m_tick);
                if (xAxis) {
                    const double x = p.left() + at;
                    positions->push_back(x);
                    labels->push_back(horizontal(FigureText::Role::XTick, text[i], m_tick,
                                                 x - e.width / 2,
                                                 p.bottom() + m_out.tickLength + pt(3.5) + e.up));
                } else {
                    const double y = p.top() + at;
                    positions->push_back(y);
                    const double right = p.left() - m_out.tickLength - pt(3.5);
                    labels->push_back(horizontal(FigureText::Role::YTick, text[i], m_tick,
                                                 right - e.width, y + (e.up - e.down) / 2));
                }
            }
            if (labels->size() >= 2 &&
                !overlapsNext(*labels, xAxis, pt((xAxis ? 0.4 : 0.1) * m_size)))
                return;
        }
        // Not even two labels fit: the first one alone.
        positions->resize(std::min<size_t>(1, positions->size()));
        labels->resize(positions->size());
    }

    /// Bin counts to try: the one the space suggests, fewer, then more (up to
    /// matplotlib's 9) for a short axis where the suggestion leaves one tick.
    static std::vector<int> binCounts(int target) {
        std::vector<int> out;
        for (int n = target; n >= 1; --n)
            out.push_back(n);
        for (int n = target + 1; n <= 9; ++n)
            out.push_back(n);
        return out;
    }

    void colorBar(const QRectF& p) {
        const double gap = pt(std::clamp(0.05 * p.width() / m_u, 6.0, 18.0));
        const double width = pt(std::clamp(p.height() / m_u / 20, 5.0, 18.0));
        const QRectF outer(p.right() + gap, p.top(), width, p.height());
        const double tri = 0.05 * outer.height();
        m_out.underTriangle = m_o.extendUnder ? tri : 0;
        m_out.overTriangle = m_o.extendOver ? tri : 0;
        const QRectF bar = outer.adjusted(0, m_out.overTriangle, 0, -m_out.underTriangle);
        m_out.bar = bar;
        const double left = bar.right() + m_out.tickLength + pt(3.5);
        const int target = std::clamp(int(std::floor(bar.height() / m_u / (2 * m_size))), 1, 9);
        TickLabel offset;
        std::vector<double> positions, values;
        std::vector<FigureText> labels;
        const double labelGap = pt(0.1 * m_size);
        for (int nbins : binCounts(target)) {
            positions.clear();
            values.clear();
            labels.clear();
            // Top to bottom, as the y axis.
            std::vector<ColorBarTick> ticks = colorBarTicks(m_spec, nbins, &offset);
            std::reverse(ticks.begin(), ticks.end());
            for (const ColorBarTick& t : ticks) {
                const double y = bar.bottom() - t.position * bar.height();
                const Extent e = measure(t.label.text, t.label.sup, m_tick);
                positions.push_back(y);
                values.push_back(t.value);
                labels.push_back(horizontal(FigureText::Role::BarTick, t.label, m_tick, left,
                                            y + (e.up - e.down) / 2));
            }
            if (labels.size() >= 2 && !overlapsNext(labels, false, labelGap)) break;
        }
        // Still touching (a short bar, or a scale whose ticks are not evenly spaced):
        // every k-th tick, counted from 0 when it is one of them.
        std::vector<double> keptPos;
        std::vector<FigureText> kept;
        const auto zero = std::find(values.begin(), values.end(), 0.0);
        const size_t anchor = zero == values.end() ? 0 : size_t(zero - values.begin());
        for (size_t k = 1; k <= std::max<size_t>(1, labels.size()); ++k) {
            keptPos.clear();
            kept.clear();
            for (size_t i = anchor % k; i < labels.size(); i += k) {
                kept.push_back(labels[i]);
                keptPos.push_back(positions[i]);
            }
            if (!overlapsNext(kept, false, labelGap)) break;
        }
        m_out.barTicks = keptPos;
        double right = bar.right() + m_out.tickLength;
        for (const FigureText& t : kept) {
            right = std::max(right, t.bounds.right());
            m_out.texts.push_back(t);
        }
        if (!offset.text.isEmpty()) {
            const Extent e = measure(offset.text, offset.sup, m_tick);
            const double bottom = outer.top() - pt(0.3 * m_size);
            m_out.texts.push_back(horizontal(FigureText::Role::BarOffset, offset, m_tick,
                                             outer.left(), bottom - e.down));
        }
        if (!m_o.colorBarLabel.isEmpty()) {
            const QString text = elide(m_o.colorBarLabel, m_label, outer.height());
            if (!text.isEmpty())
                m_out.texts.push_back(vertical(FigureText::Role::BarLabel, text, m_label,
                                               right + pt(4), outer.center().y()));
        }
    }

    void place(const QRectF& p) {
        m_out.plot = p;
        m_out.texts.clear();
        m_out.bar = QRectF();
        m_out.barTicks.clear();
        m_out.underTriangle = m_out.overTriangle = 0;
        std::vector<FigureText> xLabels, yLabels;
        indexTicks(p, true, &m_out.xTicks, &xLabels);
        indexTicks(p, false, &m_out.yTicks, &yLabels);
        // A y label low enough to reach the x labels (large fonts, few rows) gives way.
        for (size_t i = yLabels.size(); i-- > 0;) {
            const bool hit = std::any_of(xLabels.begin(), xLabels.end(), [&](const FigureText& x) {
                return x.bounds.intersects(yLabels[i].bounds);
            });
            if (hit) {
                yLabels.erase(yLabels.begin() + std::ptrdiff_t(i));
                m_out.yTicks.erase(m_out.yTicks.begin() + std::ptrdiff_t(i));
            }
        }
        double xBottom = p.bottom() + m_out.tickLength;
        for (const FigureText& t : xLabels)
            xBottom = std::max(xBottom, t.bounds.bottom());
        double yLeft = p.left() - m_out.tickLength;
        for (const FigureText& t : yLabels)
            yLeft = std::min(yLeft, t.bounds.left());
        m_out.texts.insert(m_out.texts.end(), xLabels.begin(), xLabels.end());
        m_out.texts.insert(m_out.texts.end(), yLabels.begin(), yLabels.end());
        const QRectF page = m_out.page;
        if (!m_o.xLabel.isEmpty()) {
            const QString text = elide(m_o.xLabel, m_label, page.width() - 2 * m_pad);
            const Extent e = measure(text, QString(), m_label);
            const double left =
                std::clamp(p.center().x() - e.width / 2, page.left() + m_pad,
                           std::max(page.left() + m_pad, page.right() - m_pad - e.width));
            m_out.texts.push_back(horizontal(FigureText::Role::XLabel, {text, QString()}, m_label,
                                             left, xBottom + pt(4) + e.up));
        }
        if (!m_o.yLabel.isEmpty()) {
            const QString text = elide(m_o.yLabel, m_label, p.height());
            const Extent e = measure(text, QString(), m_label);
            m_out.texts.push_back(vertical(FigureText::Role::YLabel, text, m_label,
                                           yLeft - pt(4) - e.up - e.down, p.center().y()));
        }
        if (m_o.colorBar) colorBar(p);
        if (!m_o.title.isEmpty()) {
            // Above whatever rises over the plot's top edge (tick labels, the colour
            // bar's offset text).
            double top = p.top();
            for (const FigureText& t : m_out.texts)
                top = std::min(top, t.bounds.top());
            const double bottom = std::min(p.top() - pt(6), top - pt(0.3 * m_size));
            const QString text = elide(m_o.title, m_title, page.width() - 2 * m_pad);
            const Extent e = measure(text, QString(), m_title);
            const double left =
                std::clamp(p.center().x() - e.width / 2, page.left() + m_pad,
                           std::max(page.left() + m_pad, page.right() - m_pad - e.width));
            m_out.texts.push_back(horizontal(FigureText::Role::Title, {text, QString()}, m_title,
                                             left, bottom - e.down));
        }
    }

    /// Everything drawn: plot, ticks, colour bar with its triangles, texts.
    QRectF extent() const {
        QRectF box = m_out.plot.adjusted(-m_out.tickLength, 0, 0, m_out.tickLength);
        if (!m_out.bar.isEmpty())
            box |=
                m_out.bar.adjusted(0, -m_out.overTriangle, m_out.tickLength, m_out.underTriangle);
        for (const FigureText& t : m_out.texts)
            box |= t.bounds;
        return box;
    }

    const FigureOptions& m_o;
    const ColorScale& m_spec;
    const QPaintDevice* m_device;
    double m_size;
    FigureLayout& m_out;
    double m_u = 1, m_pad = 0;
    QFont m_tick, m_label, m_title, m_sup;
};

} // namespace

FigureLayout layoutFigure(const FigureOptions& options, const ColorScale& spec, int64_t rows,
                          int64_t cols, const QPaintDevice* device) {
    FigureLayout layout;
    layout.unit = device->logicalDpiY() / 72.0;
    layout.page = QRectF(0, 0, options.widthPt * layout.unit, options.heightPt * layout.unit);
    layout.row0 = std::clamp<int64_t>(options.row0, 0, rows);
    layout.col0 = std::clamp<int64_t>(options.col0, 0, cols);
    layout.nRows =
        options.nRows < 0 ? rows - layout.row0 : std::min(options.nRows, rows - layout.row0);
    layout.nCols =
        options.nCols < 0 ? cols - layout.col0 : std::min(options.nCols, cols - layout.col0);
    if (layout.nRows <= 0 || layout.nCols <= 0) return layout;
    double size = std::max(options.fontSizePt, FigureOptions::kMinFontPt);
    for (;;) {
        Builder(options, spec, device, size, &layout).run();
        const bool roomy = layout.plot.width() >= layout.page.width() / 2 &&
                           layout.plot.height() >= layout.page.height() / 2;
        if (!options.shrinkFontsToFit || roomy || size <= FigureOptions::kMinFontPt) break;
        size = std::max(FigureOptions::kMinFontPt, size * 0.9);
    }
    return layout;
}

} // namespace ws
