// The publication figure renderer: layout invariants from 2 to 12 inches wide (no text
// clipped by the page or overlapping another, none under 6 pt), tick choice and
// labels, the heatmap's pixels against ColorScale, pooling of large matrices, and the
// files: PNG pHYs, PDF page size and lossless image, SVG text and image.
#include "ColorMap.h"
#include "FigureExport.h"
#include "FigureLayout.h"
#include "FigureRenderer.h"
#include "FigureTicks.h"
#include "Tensor.h"
#include "TestUtil.h"

#include <QBuffer>
#include <QImage>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

using namespace ws;

namespace {

std::shared_ptr<const MatrixSource> randomSource(int rows, int cols, double scale,
                                                 unsigned seed = 1) {
    auto m = std::make_shared<MatrixF>(rows, cols);
    uint32_t s = seed;
    for (Eigen::Index i = 0; i < m->size(); ++i) {
        s = s * 1664525u + 1013904223u;
        m->data()[i] = float((double(s >> 8) / double(1 << 24) - 0.5) * 2 * scale);
    }
    return memorySource(m);
}

ColorScale diverging(double m) {
    ColorScale spec;
    ColorMap::byName(QStringLiteral("RdBu_r"), &spec.map);
    spec.lo = -m;
    spec.hi = m;
    return spec;
}

QString describe(const FigureText& t) {
    return QStringLiteral("'%1%2' at %3,%4 %5x%6")
        .arg(t.text, t.sup)
        .arg(t.bounds.x())
        .arg(t.bounds.y())
        .arg(t.bounds.width())
        .arg(t.bounds.height());
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestFigureRenderer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void lengths() {
        double pt = 0;
        QVERIFY(parseLength(QStringLiteral("3.5in"), &pt));
        QCOMPARE(pt, 252.0);
        QVERIFY(parseLength(QStringLiteral("8.89cm"), &pt));
        QVERIFY(std::abs(pt - 252) < 1e-9);
        QVERIFY(parseLength(QStringLiteral("88.9 mm"), &pt));
        QVERIFY(std::abs(pt - 252) < 1e-9);
        QVERIFY(parseLength(QStringLiteral("252pt"), &pt));
        QCOMPARE(pt, 252.0);
        for (const char* bad : {"3.5", "-1in", "in", "0in", "3.5 furlongs", "1e999in"})
            QVERIFY2(!parseLength(QString::fromLatin1(bad), &pt), bad);
    }

    void axisLabels() {
        Tensor t;
        t.setContiguousShape({20, 10});
        QString x, y;
        defaultAxisLabels(t, QStringLiteral("Linear"), &x, &y);
        QCOMPARE(x, QStringLiteral("in"));
        QCOMPARE(y, QStringLiteral("out"));
        defaultAxisLabels(t, QStringLiteral("NonDynamicallyQuantizableLinear"), &x, &y);
        QCOMPARE(x, QStringLiteral("in"));
        t.inputMajor = true; // a Keras Dense kernel, drawn as stored (in, out)
        defaultAxisLabels(t, QStringLiteral("Dense"), &x, &y);
        QCOMPARE(x, QStringLiteral("out"));
        QCOMPARE(y, QStringLiteral("in"));
        t.inputMajor = false;
        defaultAxisLabels(t, QStringLiteral("Embedding"), &x, &y);
        QCOMPARE(x, QStringLiteral("dim 1"));
        QCOMPARE(y, QStringLiteral("dim 0"));
        t.setContiguousShape({16, 3, 3, 3});
        defaultAxisLabels(t, QStringLiteral("Conv"), &x, &y);
        QCOMPARE(x, QStringLiteral("dims 1\u20133"));
        QCOMPARE(y, QStringLiteral("dim 0"));
    }

    void ticksAsMatplotlib() {
        // MaxNLocator(integer) on imshow's extent of 128 columns / 64 rows.
        QCOMPARE(niceTicks(-0.5, 127.5, 6, true), (std::vector<double>{0, 25, 50, 75, 100, 125}));
        QCOMPARE(niceTicks(-0.5, 63.5, 9, true), (std::vector<double>{0, 10, 20, 30, 40, 50, 60}));
        QCOMPARE(niceTicks(-0.5, 2.5, 9, true), (std::vector<double>{0, 1, 2})); // no 0.5 steps
        QCOMPARE(niceTicks(-0.5, 0.5, 9, true), (std::vector<double>{0}));
        TickLabel offset;
        std::vector<TickLabel> l = formatTicks({-0.1, -0.05, 0, 0.05, 0.1}, &offset);
        QStringList texts;
        for (const TickLabel& t : l)
            texts << t.text;
        QCOMPARE(texts, QStringList({QStringLiteral("\u22120.10"), QStringLiteral("\u22120.05"),
                                     QStringLiteral("0.00"), QStringLiteral("0.05"),
                                     QStringLiteral("0.10")}));
        QVERIFY(offset.text.isEmpty());
        l = formatTicks({0, 2.5e-6, 5e-6}, &offset);
        QCOMPARE(l[1].text, QStringLiteral("2.5"));
        QCOMPARE(offset.text, QStringLiteral("\u00d710"));
        QCOMPARE(offset.sup, QStringLiteral("\u22126"));
        // Log: powers of ten with exponents; symlog: 0 and signed powers.
        ColorScale log;
        log.scale = ColorScale::Scale::Log;
        log.lo = 1e-4;
        log.hi = 1;
        std::vector<ColorBarTick> ticks = colorBarTicks(log, 9, &offset);
        QCOMPARE(int(ticks.size()), 5);
        QCOMPARE(ticks.front().label.sup, QStringLiteral("\u22124"));
        QCOMPARE(ticks.back().label.sup, QStringLiteral("0"));
        QCOMPARE(ticks.back().position, 1.0);
        ColorScale sym = diverging(1);
        sym.scale = ColorScale::Scale::SymLog;
        sym.linearThreshold = 1e-2;
        ticks = colorBarTicks(sym, 9, &offset);
        QCOMPARE(int(ticks.size()), 7); // -1, -0.1, -0.01, 0, 0.01, 0.1, 1
        QCOMPARE(ticks[3].label.text, QStringLiteral("0"));
        QCOMPARE(ticks[3].position, 0.5);
        QCOMPARE(ticks[0].label.text, QStringLiteral("\u221210"));
    }

    void layoutInvariants_data() {
        QTest::addColumn<double>("widthIn");
        QTest::addColumn<double>("fontPt");
        QTest::addColumn<bool>("shrink");
        QTest::addColumn<int>("scale");
        QTest::addColumn<QString>("title");
        QTest::addColumn<bool>("pdf");
        const QString longTitle = QStringLiteral(
            "transformer.h.11.mlp.c_proj.weight [3072, 768] float32 after fine-tuning");
        for (double w : {2.0, 3.5, 6.4, 12.0})
            for (bool pdf : {true, false}) {
                const char* dev = pdf ? "pdf" : "png";
                QTest::addRow("%gin 10pt auto %s", w, dev)
                    << w << 10.0 << true << 0 << QStringLiteral("fc.weight") << pdf;
                QTest::addRow("%gin 8pt %s", w, dev)
                    << w << 8.0 << false << 0 << QStringLiteral("fc.weight") << pdf;
                QTest::addRow("%gin 10pt long title %s", w, dev)
                    << w << 10.0 << false << 0 << longTitle << pdf;
                QTest::addRow("%gin 9pt log %s", w, dev)
                    << w << 9.0 << false << int(ColorScale::Scale::Log) << QString() << pdf;
                QTest::addRow("%gin 10pt tiny values %s", w, dev)
                    << w << 10.0 << true << -1 << QStringLiteral("small") << pdf;
            }
    }

    void layoutInvariants() {
        QFETCH(double, widthIn);
        QFETCH(double, fontPt);
        QFETCH(bool, shrink);
        QFETCH(int, scale);
        QFETCH(QString, title);
        QFETCH(bool, pdf);
        FigureOptions o;
        o.widthPt = widthIn * 72;
        o.heightPt = o.widthPt * 0.75;
        o.fontSizePt = fontPt;
        o.shrinkFontsToFit = shrink;
        o.title = title;
        o.xLabel = QStringLiteral("in");
        o.yLabel = QStringLiteral("out");
        o.colorBarLabel = QStringLiteral("value");
        o.extendOver = true;
        ColorScale spec = diverging(scale < 0 ? 3e-6 : 0.2);
        if (scale > 0) {
            spec.scale = ColorScale::Scale(scale);
            spec.lo = 1e-5;
        }
        QBuffer sink;
        QVERIFY(sink.open(QIODevice::WriteOnly));
        QPdfWriter writer(&sink);
        writer.setResolution(1200);
        QImage image(pixelsFor(o.widthPt, 100), pixelsFor(o.heightPt, 100), QImage::Format_RGB32);
        image.setDotsPerMeterX(int(std::lround(100 / 0.0254)));
        image.setDotsPerMeterY(int(std::lround(100 / 0.0254)));
        const QPaintDevice* device = pdf ? static_cast<QPaintDevice*>(&writer) : &image;
        const FigureLayout l = layoutFigure(o, spec, 64, 128, device);
        const double tol = 0.01 * l.unit;
        QVERIFY(l.plot.width() > 0 && l.plot.height() > 0);
        QVERIFY(l.page.adjusted(-tol, -tol, tol, tol).contains(l.plot));
        QVERIFY(l.page.adjusted(-tol, -tol, tol, tol)
                    .contains(l.bar.adjusted(0, -l.overTriangle, 0, l.underTriangle)));
        QVERIFY2(l.xTicks.size() >= 2 && l.yTicks.size() >= 2 && l.barTicks.size() >= 2,
                 qPrintable(QStringLiteral("%1 %2 %3")
                                .arg(l.xTicks.size())
                                .arg(l.yTicks.size())
                                .arg(l.barTicks.size())));
        int titles = 0, labels = 0;
        for (size_t i = 0; i < l.texts.size(); ++i) {
            const FigureText& t = l.texts[i];
            titles += t.role == FigureText::Role::Title;
            labels += t.role == FigureText::Role::XLabel || t.role == FigureText::Role::YLabel ||
                      t.role == FigureText::Role::BarLabel;
            QVERIFY2(t.sizePt >= FigureOptions::kMinFontPt - 1e-9, qPrintable(describe(t)));
            if (!shrink) QVERIFY2(t.sizePt >= fontPt - 1e-9, qPrintable(describe(t)));
            QVERIFY2(l.page.adjusted(-tol, -tol, tol, tol).contains(t.bounds),
                     qPrintable(QStringLiteral("clipped: ") + describe(t)));
            QVERIFY2(!t.bounds.intersects(l.plot.adjusted(tol, tol, -tol, -tol)),
                     qPrintable(QStringLiteral("over the plot: ") + describe(t)));
            QVERIFY2(!t.bounds.intersects(l.bar.adjusted(tol, tol, -tol, -tol)),
                     qPrintable(QStringLiteral("over the colour bar: ") + describe(t)));
            for (size_t j = i + 1; j < l.texts.size(); ++j) {
                const QRectF both = t.bounds.intersected(l.texts[j].bounds);
                QVERIFY2(both.width() <= tol || both.height() <= tol,
                         qPrintable(QStringLiteral("overlap: ") + describe(t) +
                                    QStringLiteral(" and ") + describe(l.texts[j])));
            }
        }
        QCOMPARE(titles, title.isEmpty() ? 0 : 1);
        QCOMPARE(labels, 3);
        if (widthIn >= 6.4 && !shrink) QCOMPARE(l.fontSizePt, fontPt);
    }

    void heatmapPixelsExact() {
        // 3 x 4 cells drawn at 300 dpi: each cell is dozens of pixels, and every pixel
        // inside a cell has exactly the ColorScale's colour of its value (no smoothing).
        auto m = std::make_shared<MatrixF>(3, 4);
        for (int i = 0; i < 12; ++i)
            m->data()[i] = float(i - 5.5f) / 5.5f;
        auto source = memorySource(m);
        ColorScale spec = diverging(1);
        FigureOptions o;
        o.widthPt = 3 * 72;
        o.heightPt = 2.25 * 72;
        o.dpi = 300;
        QString error;
        const QImage image = figureImage(*source, spec, o, &error);
        QVERIFY2(!image.isNull(), qPrintable(error));
        QCOMPARE(image.size(), QSize(900, 675));
        const FigureLayout l = layoutFigure(o, spec, 3, 4, &image);
        const double cw = l.plot.width() / 4, ch = l.plot.height() / 3;
        QVERIFY(cw > 40 && ch > 40);
        // The frame (0.8 pt, centred on the plot's edge) covers the outermost pixels.
        const int edge = int(std::ceil(l.lineWidth / 2)) + 1;
        const QRectF inner = l.plot.adjusted(edge, edge, -edge, -edge);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 4; ++c) {
                const QRgb want = spec.colorOf((*m)(r, c));
                // The whole cell but a pixel at each edge.
                for (int y = int(l.plot.top() + r * ch) + 2;
                     y < int(l.plot.top() + (r + 1) * ch) - 1; y += 3)
                    for (int x = int(l.plot.left() + c * cw) + 2;
                         x < int(l.plot.left() + (c + 1) * cw) - 1; x += 3) {
                        if (!inner.contains(QPointF(x + 0.5, y + 0.5))) continue;
                        QVERIFY2(image.pixel(x, y) == want,
                                 qPrintable(QStringLiteral("cell %1,%2 pixel %3,%4: %5 vs %6")
                                                .arg(r)
                                                .arg(c)
                                                .arg(x)
                                                .arg(y)
                                                .arg(image.pixel(x, y), 0, 16)
                                                .arg(want, 0, 16)));
                    }
            }
    }

    void heatmapImagePooled() {
        // One image pixel per cell while the region fits; max |x| pooling beyond.
        auto m = std::make_shared<MatrixF>(MatrixF::Zero(1000, 10));
        (*m)(537, 3) = -1.0f; // an outlier stays visible after pooling
        auto source = memorySource(m);
        const ColorScale spec = diverging(1);
        QString error;
        QImage exact = heatmapImage(*source, 0, 0, 1000, 10, 1000, 10, spec, &error);
        QCOMPARE(exact.size(), QSize(10, 1000));
        QCOMPARE(exact.pixel(3, 537), spec.colorOf(-1));
        QImage pooled = heatmapImage(*source, 0, 0, 1000, 10, 100, 10, spec, &error);
        QCOMPARE(pooled.size(), QSize(10, 100));
        QCOMPARE(pooled.pixel(3, 53), spec.colorOf(-1));
        QCOMPARE(pooled.pixel(3, 52), spec.colorOf(0));
        // A region: rows 500.. of column 3.
        QImage part = heatmapImage(*source, 500, 3, 100, 1, 1000, 1000, spec, &error);
        QCOMPARE(part.size(), QSize(1, 100));
        QCOMPARE(part.pixel(0, 37), spec.colorOf(-1));
    }

    void pngHasPhysicalSize() {
        // 3.5 in at 300 dpi: 1050 pixels, pHYs 300 dpi (11811 pixels per metre).
        FigureOptions o;
        o.widthPt = 252;
        o.heightPt = 189;
        o.dpi = 300;
        const QString path = m_dir.filePath(QStringLiteral("fig.png"));
        QString error;
        QVERIFY2(writeFigure(path, *randomSource(64, 128, 0.1), diverging(0.1), o, &error),
                 qPrintable(error));
        const QImage image(path);
        QCOMPARE(image.size(), QSize(1050, 788));
        QCOMPARE(image.dotsPerMeterX(), 11811);
        const QByteArray bytes = readAll(path);
        const int at = int(bytes.indexOf("pHYs"));
        QVERIFY(at > 0);
        const auto be32 = [&](int i) {
            return (quint32(quint8(bytes[i])) << 24) | (quint32(quint8(bytes[i + 1])) << 16) |
                   (quint32(quint8(bytes[i + 2])) << 8) | quint32(quint8(bytes[i + 3]));
        };
        QCOMPARE(be32(at + 4), 11811u);
        QCOMPARE(be32(at + 8), 11811u);
        QCOMPARE(int(bytes[at + 12]), 1); // unit: metre
    }

    void pdfPageAndLosslessImage() {
        FigureOptions o;
        o.widthPt = 252;
        o.heightPt = 189;
        o.title = QStringLiteral("fc.weight");
        const QString path = m_dir.filePath(QStringLiteral("fig.pdf"));
        QString error;
        QVERIFY2(writeFigure(path, *randomSource(64, 128, 0.1), diverging(0.1), o, &error),
                 qPrintable(error));
        const QString pdf = QString::fromLatin1(readAll(path));
        QVERIFY(pdf.startsWith(QLatin1String("%PDF-")));
        QVERIFY(pdf.contains(QLatin1String("/MediaBox [0 0 252.000000 189.000000]")));
        QVERIFY(!pdf.contains(QLatin1String("DCTDecode"))); // no JPEG
        // The heatmap at the data's resolution: 128 x 64 image pixels.
        QVERIFY(pdf.contains(QRegularExpression(
            QStringLiteral("/Width 128\\s*/Height 64|/Height 64\\s*/Width 128"))));
        QVERIFY(!pdf.contains(QLatin1String("/Interpolate true")));
    }

    void svgKeepsTextAndImage() {
        FigureOptions o;
        o.widthPt = 252;
        o.heightPt = 189;
        o.title = QStringLiteral("fc.weight");
        const QString path = m_dir.filePath(QStringLiteral("fig.svg"));
        QString error;
        QVERIFY2(writeFigure(path, *randomSource(64, 128, 0.1), diverging(0.1), o, &error),
                 qPrintable(error));
        const QByteArray svg = readAll(path);
        QVERIFY(svg.contains("width=\"252.000pt\" height=\"189.000pt\""));
        QVERIFY(svg.contains("<text"));
        QVERIFY(svg.contains(">fc.weight<") || svg.contains("fc.weight</text>"));
        QVERIFY(svg.contains("<image"));
        QVERIFY(svg.contains("data:image/png;base64,"));
        QVERIFY(svg.contains("image-rendering=\"optimizeSpeed\""));
    }

    void failsCleanly() {
        FigureOptions o;
        QString error;
        QVERIFY(!writeFigure(m_dir.filePath(QStringLiteral("x.bmp")), *randomSource(4, 4, 1),
                             diverging(1), o, &error));
        QVERIFY2(error.contains(QLatin1String("bmp")), qPrintable(error));
        QVERIFY(!writeFigure(QStringLiteral("/nonexistent/dir/x.pdf"), *randomSource(4, 4, 1),
                             diverging(1), o, &error));
        QVERIFY2(error.contains(QLatin1String("no such directory")), qPrintable(error));
        o.nRows = 0; // an empty region
        QVERIFY(!writeFigure(m_dir.filePath(QStringLiteral("e.png")), *randomSource(4, 4, 1),
                             diverging(1), o, &error));
        QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("e.png"))));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestFigureRenderer)
#include "tst_figurerenderer.moc"
