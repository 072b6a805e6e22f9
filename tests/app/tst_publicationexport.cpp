// `weightscope export` as a publication figure, checked with poppler's tools as a
// reader of the PDF would: page sizes in physical units, text that is text (and never
// under 6 pt, never clipped or overlapping from 2 to 12 inches wide), the heatmap as a
// lossless image of one pixel per cell (pooled at the output's dpi when larger), PNG
// dpi, texts and fonts, and the same figure drawn by matplotlib compared by
// tests/scripts/compare_with_matplotlib.py.
#include "ColorMap.h"
#include "TestUtil.h"

#include <QImage>
#include <QRectF>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <cmath>

namespace {

struct Word {
    QString text;
    QRectF box;
};

struct PdfImage {
    int number = 0, width = 0, height = 0;
    QString encoding;
};

QString tool(const QString& name, const QStringList& args) {
    const wstest::RunResult r = wstest::runProcess(name, args);
    return r.code == 0 ? r.out : QString();
}

std::vector<Word> words(const QString& pdf) {
    static const QRegularExpression re(
        QStringLiteral("<word xMin=\"([-0-9.]+)\" yMin=\"([-0-9.]+)\" xMax=\"([-0-9.]+)\" "
                       "yMax=\"([-0-9.]+)\">([^<]*)</word>"));
    std::vector<Word> out;
    auto it = re.globalMatch(
        tool(QStringLiteral("pdftotext"), {QStringLiteral("-bbox"), pdf, QStringLiteral("-")}));
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        out.push_back(
            {m.captured(5), QRectF(QPointF(m.captured(1).toDouble(), m.captured(2).toDouble()),
                                   QPointF(m.captured(3).toDouble(), m.captured(4).toDouble()))});
    }
    return out;
}

QSizeF pageSize(const QString& pdf) {
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral("Page size:\\s+([0-9.]+) x ([0-9.]+) pts"))
            .match(tool(QStringLiteral("pdfinfo"), {pdf}));
    return m.hasMatch() ? QSizeF(m.captured(1).toDouble(), m.captured(2).toDouble()) : QSizeF();
}

std::vector<PdfImage> images(const QString& pdf) {
    std::vector<PdfImage> out;
    const QStringList lines =
        tool(QStringLiteral("pdfimages"), {QStringLiteral("-list"), pdf}).split(QLatin1Char('\n'));
    for (int i = 2; i < lines.size(); ++i) {
        const QStringList f = lines[i].split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (f.size() > 8) out.push_back({f[1].toInt(), f[3].toInt(), f[4].toInt(), f[8]});
    }
    return out;
}

bool isNumber(const QString& s) {
    static const QRegularExpression re(QStringLiteral("^[\u2212-]?[0-9]+(\\.[0-9]+)?$"));
    return re.match(s).hasMatch();
}

QStringList texts(const std::vector<Word>& ws) {
    QStringList out;
    for (const Word& w : ws)
        out << w.text;
    return out;
}

} // namespace

class TestPublicationExport : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_pt, m_npy, m_big;
    double m_heightPerPoint = 0; ///< a tick label's box height per point of font size

    QString path(const QString& name) const { return m_tmp.filePath(name); }

    /// Runs `weightscope export FILE TENSOR -o OUT extra...`; the output's path.
    QString exportTo(const QString& out, const QStringList& extra, const QString& file = QString(),
                     const QString& tensor = QStringLiteral("fc.weight")) {
        const QString target = path(out);
        const wstest::RunResult r = wstest::runWeightscope(
            QStringList{QStringLiteral("export"), file.isEmpty() ? m_pt : file, tensor,
                        QStringLiteral("-o"), target} +
            extra);
        if (r.code != 0) qWarning("export failed (%d): %s", r.code, qPrintable(r.err));
        return r.code == 0 ? target : QString();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        for (const char* t : {"pdfinfo", "pdftotext", "pdfimages", "pdffonts", "pdftoppm"})
            QVERIFY2(wstest::runProcess(QString::fromLatin1(t), {QStringLiteral("-v")}).code == 0,
                     t);
        // A Linear layer's 64 x 128 weight (PyTorch) and the same values as .npy; a
        // 3000 x 40 matrix larger than any plot area.
        m_pt = path(QStringLiteral("linear.pt"));
        m_npy = path(QStringLiteral("w.npy"));
        m_big = path(QStringLiteral("big.npy"));
        QString out;
        const int rc = wstest::runPython(
            {QStringLiteral("-c"),
             QStringLiteral(
                 "import numpy as np, torch, sys\n"
                 "rng = np.random.default_rng(16)\n"
                 "w = (rng.standard_normal((64, 128)) * 0.05).astype(np.float32)\n"
                 "np.save(sys.argv[2], w)\n"
                 "torch.save({'fc.weight': torch.from_numpy(w), 'fc.bias': torch.zeros(64)},"
                 " sys.argv[1])\n"
                 "np.save(sys.argv[3], rng.standard_normal((3000, 40)).astype(np.float32))\n"),
             m_pt, m_npy, m_big},
            &out);
        QVERIFY2(rc == 0, qPrintable(out));
        const QString ref = exportTo(QStringLiteral("ref.pdf"),
                                     {QStringLiteral("--font-size"), QStringLiteral("10")});
        QVERIFY(!ref.isEmpty());
        std::vector<double> heights;
        for (const Word& w : words(ref))
            if (isNumber(w.text)) heights.push_back(w.box.height());
        QVERIFY(heights.size() > 10);
        std::sort(heights.begin(), heights.end());
        m_heightPerPoint = heights[heights.size() / 2] / 10;
        QVERIFY(m_heightPerPoint > 1 && m_heightPerPoint < 1.4); // DejaVu Sans: 1.16
    }

    void matchesMatplotlib() {
        // The acceptance check: 3.5 in wide at 8 pt, against matplotlib's own figure.
        const QString pdf = exportTo(QStringLiteral("fig.pdf"),
                                     {QStringLiteral("--width"), QStringLiteral("3.5in"),
                                      QStringLiteral("--font-size"), QStringLiteral("8")});
        QVERIFY(!pdf.isEmpty());
        QString out;
        const int rc = wstest::runPython(
            {wstest::env("WS_SCRIPTS") + QStringLiteral("/compare_with_matplotlib.py"),
             QStringLiteral("--ours"), pdf, QStringLiteral("--npy"), m_npy,
             QStringLiteral("--width-in"), QStringLiteral("3.5"), QStringLiteral("--height-in"),
             QStringLiteral("2.625"), QStringLiteral("--font-size"), QStringLiteral("8"),
             QStringLiteral("--title"), QStringLiteral("fc.weight"), QStringLiteral("--xlabel"),
             QStringLiteral("in"), QStringLiteral("--ylabel"), QStringLiteral("out"),
             QStringLiteral("--workdir"), path(QStringLiteral("compare"))},
            &out);
        qInfo("%s", qPrintable(out.trimmed()));
        QVERIFY2(rc == 0, qPrintable(out));
        QVERIFY(out.contains(QLatin1String("heatmap pixels equal: 8192 of 8192")));
    }

    void physicalSize_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<double>("width");
        QTest::addColumn<double>("height");
        QTest::newRow("default: matplotlib's 6.4 x 4.8 in") << QStringList() << 460.8 << 345.6;
        QTest::newRow("3.5in") << QStringList{"--width", "3.5in"} << 252.0 << 189.0;
        QTest::newRow("8.89cm") << QStringList{"--width", "8.89cm"} << 252.0 << 189.0;
        QTest::newRow("89mm x 60mm")
            << QStringList{"--width", "89mm", "--height", "60mm"} << 252.28 << 170.08;
        QTest::newRow("252pt") << QStringList{"--width", "252pt"} << 252.0 << 189.0;
        QTest::newRow("--dpi does not change a PDF's size")
            << QStringList{"--width", "3.5in", "--dpi", "300"} << 252.0 << 189.0;
        QTest::newRow("12in") << QStringList{"--width", "12in"} << 864.0 << 648.0;
    }

    void physicalSize() {
        QFETCH(QStringList, args);
        QFETCH(double, width);
        QFETCH(double, height);
        const QString pdf = exportTo(QStringLiteral("size.pdf"), args);
        QVERIFY(!pdf.isEmpty());
        const QSizeF page = pageSize(pdf);
        QVERIFY2(std::abs(page.width() - width) <= 0.5 && std::abs(page.height() - height) <= 0.5,
                 qPrintable(QStringLiteral("%1 x %2").arg(page.width()).arg(page.height())));
        // The SVG states the same size in points.
        const QString svg = exportTo(QStringLiteral("size.svg"), args);
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QRegularExpressionMatch m =
            QRegularExpression(
                QStringLiteral("<svg[^>]* width=\"([0-9.]+)pt\" height=\"([0-9.]+)pt\""))
                .match(QString::fromUtf8(f.readAll()));
        QVERIFY(m.hasMatch());
        QVERIFY(std::abs(m.captured(1).toDouble() - width) < 0.01);
        QVERIFY(std::abs(m.captured(2).toDouble() - height) < 0.01);
    }

    void readableAtEverySize_data() {
        QTest::addColumn<QString>("width");
        QTest::addColumn<QString>("fontSize"); // empty: the default
        for (const char* w : {"2in", "3.5in", "6.4in", "12in"})
            for (const char* f : {"", "8", "12"})
                QTest::addRow("%s %s", w, *f ? f : "default")
                    << QString::fromLatin1(w) << QString::fromLatin1(f);
    }

    void readableAtEverySize() {
        // Nothing clipped, no two words overlapping, no text under 6 pt.
        QFETCH(QString, width);
        QFETCH(QString, fontSize);
        QStringList args{QStringLiteral("--width"), width, QStringLiteral("--cbar-label"),
                         QStringLiteral("weight value")};
        if (!fontSize.isEmpty()) args << QStringLiteral("--font-size") << fontSize;
        const QString pdf = exportTo(QStringLiteral("read.pdf"), args);
        QVERIFY(!pdf.isEmpty());
        const QSizeF page = pageSize(pdf);
        const std::vector<Word> ws = words(pdf);
        QVERIFY(ws.size() >= 9);
        int ticks = 0;
        for (size_t i = 0; i < ws.size(); ++i) {
            const Word& w = ws[i];
            QVERIFY2(w.box.left() >= -0.01 && w.box.top() >= -0.01 &&
                         w.box.right() <= page.width() + 0.01 &&
                         w.box.bottom() <= page.height() + 0.01,
                     qPrintable(QStringLiteral("clipped: ") + w.text));
            // Tick labels are horizontal: their box's height is the font's.
            const double size = w.box.height() / m_heightPerPoint;
            if (isNumber(w.text)) {
                QVERIFY2(size >= 6 - 0.05,
                         qPrintable(QStringLiteral("%1 is %2 pt").arg(w.text).arg(size)));
                if (!fontSize.isEmpty())
                    QVERIFY2(std::abs(size - fontSize.toDouble()) < 0.1, qPrintable(w.text));
            }
            ticks += isNumber(w.text);
            for (size_t j = i + 1; j < ws.size(); ++j) {
                const QRectF both = w.box.intersected(ws[j].box);
                QVERIFY2(
                    both.width() < 0.01 || both.height() < 0.01,
                    qPrintable(QStringLiteral("overlap: '%1' and '%2'").arg(w.text, ws[j].text)));
            }
        }
        // At least 2 per axis and on the colour bar, but for 12 pt text on a 2 in figure
        // (a plot area 30 pt wide: one x label).
        const bool cramped = width == QLatin1String("2in") && fontSize == QLatin1String("12");
        QVERIFY2(ticks >= (cramped ? 4 : 6), qPrintable(QString::number(ticks)));
        for (const char* t : {"fc.weight", "in", "out"})
            QVERIFY2(texts(ws).contains(QString::fromLatin1(t)), t);
        // The colour bar's label, elided when the bar is shorter than it.
        QVERIFY(texts(ws).contains(cramped ? QStringLiteral("we\u2026") : QStringLiteral("value")));
    }

    void pngPixelsAndDpi() {
        // --dpi as matplotlib's: 3.5 in at 300 dpi is 1050 pixels, recorded in pHYs.
        QString png =
            exportTo(QStringLiteral("a.png"), {QStringLiteral("--width"), QStringLiteral("3.5in"),
                                               QStringLiteral("--dpi"), QStringLiteral("300")});
        QImage image(png);
        QCOMPARE(image.size(), QSize(1050, 788));
        QCOMPARE(image.dotsPerMeterX(), 11811);
        // Default: matplotlib's 6.4 x 4.8 in at 100 dpi.
        png = exportTo(QStringLiteral("b.png"), {});
        image = QImage(png);
        QCOMPARE(image.size(), QSize(640, 480));
        QCOMPARE(image.dotsPerMeterX(), 3937);
        // --size stays: exact pixels.
        png = exportTo(QStringLiteral("c.png"),
                       {QStringLiteral("--size"), QStringLiteral("333x222")});
        QCOMPARE(QImage(png).size(), QSize(333, 222));
    }

    void vectorKeepsTextAndCells() {
        const QString pdf =
            exportTo(QStringLiteral("v.pdf"), {QStringLiteral("--width"), QStringLiteral("3.5in")});
        const QStringList t = texts(words(pdf));
        for (const char* tick : {"0", "50", "100", "fc.weight", "in", "out"})
            QVERIFY2(t.contains(QString::fromLatin1(tick)), tick); // selectable text
        const std::vector<PdfImage> list = images(pdf);
        QVERIFY(!list.empty());
        bool cells = false;
        for (const PdfImage& i : list) {
            QCOMPARE(i.encoding, QStringLiteral("image")); // flate, never jpeg
            cells = cells || (i.width == 128 && i.height == 64);
        }
        QVERIFY(cells); // one image pixel per cell
        const QString svg = exportTo(QStringLiteral("v.svg"), {});
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray s = f.readAll();
        QVERIFY(s.count("<text") >= 10);
        QVERIFY(s.contains("<image"));
        QVERIFY(s.contains("xlink:href=\"data:image/png;base64,"));
    }

    void largeMatrixPooledAtOutputDpi() {
        // 3000 rows: more than the plot area holds at 100 dpi (about 4 in): pooled to
        // it, max |x| per block; the 40 columns stay exact.
        const QString pdf =
            exportTo(QStringLiteral("big.pdf"), {QStringLiteral("--dpi"), QStringLiteral("100")},
                     m_big, QStringLiteral("big"));
        QVERIFY(!pdf.isEmpty());
        const std::vector<PdfImage> list = images(pdf);
        const auto it =
            std::find_if(list.begin(), list.end(), [](const PdfImage& i) { return i.width == 40; });
        QVERIFY(it != list.end());
        QVERIFY2(it->height < 480 && it->height > 200, qPrintable(QString::number(it->height)));
        QCOMPARE(it->encoding, QStringLiteral("image"));
        // At 600 dpi the plot area holds more rows than 3000 / 2.
        const QString fine =
            exportTo(QStringLiteral("big600.pdf"), {QStringLiteral("--dpi"), QStringLiteral("600")},
                     m_big, QStringLiteral("big"));
        const std::vector<PdfImage> more = images(fine);
        QVERIFY(std::any_of(more.begin(), more.end(), [](const PdfImage& i) {
            return i.width == 40 && i.height > 1500 && i.height < 3000;
        }));
    }

    void textsAndLabels() {
        // --title '' removes the title; labels and colour-bar label as given.
        QString pdf = exportTo(QStringLiteral("t.pdf"),
                               {QStringLiteral("--title"), QString(), QStringLiteral("--xlabel"),
                                QStringLiteral("input unit"), QStringLiteral("--ylabel"),
                                QStringLiteral("neuron"), QStringLiteral("--cbar-label"),
                                QStringLiteral("weight")});
        QStringList t = texts(words(pdf));
        QVERIFY(!t.contains(QStringLiteral("fc.weight")));
        for (const char* w : {"input", "unit", "neuron", "weight"})
            QVERIFY2(t.contains(QString::fromLatin1(w)), w);
        QVERIFY(!t.contains(QStringLiteral("in")) && !t.contains(QStringLiteral("out")));
        // A tensor outside a Linear layer: its dims.
        pdf = exportTo(QStringLiteral("d.pdf"), {}, m_npy, QStringLiteral("w"));
        t = texts(words(pdf));
        QVERIFY(t.contains(QStringLiteral("dim")));
        QVERIFY(t.contains(QStringLiteral("w")));
        QVERIFY(!t.contains(QStringLiteral("in")));
    }

    void logScaleIsSequential() {
        // log |x| uses viridis unless a map is given; the colour bar image shows it.
        for (const auto& [extra, map] :
             {std::pair<QStringList, QString>{{}, QStringLiteral("viridis")},
              std::pair<QStringList, QString>{
                  {QStringLiteral("--colormap"), QStringLiteral("magma")},
                  QStringLiteral("magma")}}) {
            const QString pdf =
                exportTo(QStringLiteral("log.pdf"),
                         QStringList{QStringLiteral("--scale"), QStringLiteral("log")} + extra);
            QVERIFY(!pdf.isEmpty());
            const QString root = path(QStringLiteral("logimg"));
            QCOMPARE(
                wstest::runProcess(QStringLiteral("pdfimages"), {QStringLiteral("-png"), pdf, root})
                    .code,
                0);
            int bar = -1;
            for (const PdfImage& i : images(pdf))
                if (i.width == 1 && i.height == 256) bar = i.number;
            QVERIFY(bar >= 0);
            const QImage image(
                QStringLiteral("%1-%2.png").arg(root).arg(bar, 3, 10, QLatin1Char('0')));
            QCOMPARE(image.size(), QSize(1, 256));
            ws::ColorMap m;
            QVERIFY(ws::ColorMap::byName(map, &m));
            QCOMPARE(image.pixel(0, 0) | 0xff000000u, m.colorAt(1.0) | 0xff000000u);
            QCOMPARE(image.pixel(0, 255) | 0xff000000u, m.colorAt(0.0) | 0xff000000u);
            QVERIFY(texts(words(pdf)).contains(QStringLiteral("|value|")));
        }
    }

    void fontFamily() {
        QString pdf = exportTo(QStringLiteral("f.pdf"), {});
        QVERIFY(tool(QStringLiteral("pdffonts"), {pdf}).contains(QLatin1String("DejaVuSans")));
        pdf = exportTo(QStringLiteral("g.pdf"),
                       {QStringLiteral("--font"), QStringLiteral("DejaVu Serif")});
        const QString fonts = tool(QStringLiteral("pdffonts"), {pdf});
        QVERIFY2(fonts.contains(QLatin1String("DejaVuSerif")), qPrintable(fonts));
        QVERIFY(!fonts.contains(QLatin1String("DejaVuSans")));
    }

    void badOptions_data() {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("no unit") << QStringList{"--width", "3.5"};
        QTest::newRow("unknown unit") << QStringList{"--width", "3.5ft"};
        QTest::newRow("too small") << QStringList{"--width", "0.1in"};
        QTest::newRow("font under 6 pt") << QStringList{"--font-size", "4"};
        QTest::newRow("size and width") << QStringList{"--size", "640x480", "--width", "3in"};
        QTest::newRow("empty font") << QStringList{"--font", ""};
    }

    void badOptions() {
        QFETCH(QStringList, args);
        const wstest::RunResult r = wstest::runWeightscope(
            QStringList{QStringLiteral("export"), m_pt, QStringLiteral("fc.weight"),
                        QStringLiteral("-o"), path(QStringLiteral("bad.pdf"))} +
            args);
        QCOMPARE(r.code, 1);
        QVERIFY(!r.err.isEmpty());
        QVERIFY(!QFile::exists(path(QStringLiteral("bad.pdf"))));
    }
};

QTEST_MAIN(TestPublicationExport)
#include "tst_publicationexport.moc"
