// Heatmap, bar chart and tensor view: exact cells, pooling that keeps outliers,
// readouts, colour range, and pooling a GPT-2-sized embedding matrix to the screen.
#include "BarChartWidget.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "PlotStyle.h"
#include "ScalarView.h"
#include "TensorView.h"
#include "widgets/MemoryWeightFile.h"

#include <QtTest>
#include <cmath>
#include <random>

using namespace ws;

class TestHeatmapWidget : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void longTitlesNeverWidenThePlot();
    void smallMatrixIsExact();
    void readoutShowsExactValue();
    void hoverEmitsReadout();
    void pooledViewKeepsOutlier();
    void zoomShowsExactCells();
    void colorMapAndRange();
    void largeMatrixIsPooledToTheScreen();
    void barChartShowsValues();
    void longVectorIsPooled();
    void tensorViewChoosesByRank();
    void tensorViewShowsLoadError();
};

void TestHeatmapWidget::smallMatrixIsExact() {
    auto t = wstest::floatTensor(QStringLiteral("fc.weight"), {3, 4}, wstest::ramp(12));
    MatrixF m;
    QVERIFY(t->values(&m, nullptr));
    HeatmapWidget w;
    w.resize(800, 600);
    w.setValues(std::make_shared<MatrixF>(m), t);
    const QCPColorMapData* d = w.gridData();
    QCOMPARE(d->keySize(), 4);
    QCOMPARE(d->valueSize(), 3);
    QVERIFY(w.grid().exact);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            QCOMPARE(w.gridCell(c, r), 0.5 * (r * 4 + c) - 3.0);
    // Cell centres at integer coordinates; row 0 is drawn at the top.
    QCOMPARE(d->keyRange().lower, 0.0);
    QCOMPARE(d->keyRange().upper, 3.0);
    QCOMPARE(d->valueRange().lower, 0.0);
    QCOMPARE(d->valueRange().upper, 2.0);
    QVERIFY(w.yAxis->rangeReversed());
    QCOMPARE(w.xAxis->label(), QStringLiteral("input features"));
    QCOMPARE(w.yAxis->label(), QStringLiteral("output features"));
    QVERIFY(!w.colorMap()->interpolate());
    // Signed data: symmetric range and a diverging map.
    QCOMPARE(w.colorRange().lower, -3.0);
    QCOMPARE(w.colorRange().upper, 3.0);
    QCOMPARE(w.colorMapName(), QStringLiteral("RdBu_r"));
    // A quantized layer's logical weight is labelled as the weight it stands for.
    auto logical = wstest::floatTensor(QStringLiteral("mlp.down_proj.weight:dequantized"), {3, 4},
                                       wstest::ramp(12));
    MatrixF lm;
    QVERIFY(logical->values(&lm, nullptr));
    w.setValues(std::make_shared<MatrixF>(lm), logical);
    QCOMPARE(w.xAxis->label(), QStringLiteral("input features"));
    QCOMPARE(w.yAxis->label(), QStringLiteral("output features"));
}

void TestHeatmapWidget::readoutShowsExactValue() {
    std::vector<float> v = wstest::ramp(6);
    v[4] = 0.1f;
    auto t = wstest::floatTensor(QStringLiteral("w"), {2, 3}, v);
    MatrixF m;
    QVERIFY(t->values(&m, nullptr));
    HeatmapWidget w;
    w.setValues(std::make_shared<MatrixF>(m), t);
    const QString text = w.readoutAt(1, 1);
    QVERIFY2(text.contains(QStringLiteral("row 1")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("column 1")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("0.1")), qPrintable(text));
    QCOMPARE(QLocale::c().toFloat(text.section(QLatin1Char(' '), -1)), 0.1f);
    QVERIFY(w.readoutAt(2, 0).isEmpty());
    QVERIFY(w.readoutAt(0, -1).isEmpty());
    // Rank 4 adds the n-D index.
    auto conv = wstest::floatTensor(QStringLiteral("conv.weight"), {2, 3, 2, 2}, wstest::ramp(24));
    QVERIFY(conv->values(&m, nullptr));
    w.setValues(std::make_shared<MatrixF>(m), conv);
    QCOMPARE(w.gridData()->keySize(), 12);
    QCOMPARE(w.readoutAt(1, 7), QStringLiteral("row 1, column 7 [1, 1, 1, 1]: 6.5"));
}

void TestHeatmapWidget::hoverEmitsReadout() {
    auto t = wstest::floatTensor(QStringLiteral("w"), {4, 5}, wstest::ramp(20));
    MatrixF m;
    QVERIFY(t->values(&m, nullptr));
    HeatmapWidget w;
    w.resize(700, 500);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setValues(std::make_shared<MatrixF>(m), t);
    w.replot();
    QSignalSpy spy(&w, &HeatmapWidget::hoverText);
    const QPoint p(int(w.xAxis->coordToPixel(3)), int(w.yAxis->coordToPixel(2)));
    QMouseEvent move(QEvent::MouseMove, p, w.mapToGlobal(p), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(&w, &move);
    QVERIFY(!spy.isEmpty());
    QCOMPARE(spy.last().at(0).toString(), QStringLiteral("row 2, column 3: 3.5"));
}

void TestHeatmapWidget::pooledViewKeepsOutlier() {
    const int rows = 3000, cols = 2000;
    auto m = std::make_shared<MatrixF>(rows, cols);
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (Eigen::Index i = 0; i < m->size(); ++i)
        m->data()[i] = normal(rng);
    (*m)(1234, 567) = 1000.0f;
    HeatmapWidget w;
    w.resize(900, 700);
    w.setValues(m, nullptr);
    const QCPColorMapData* d = w.gridData();
    QVERIFY(d->keySize() < cols);
    QVERIFY(d->valueSize() < rows);
    QVERIFY(!w.grid().exact);
    double maxCell = -1;
    for (int r = 0; r < d->valueSize(); ++r)
        for (int c = 0; c < d->keySize(); ++c)
            maxCell = std::max(maxCell, w.gridCell(c, r));
    QCOMPARE(maxCell, 1000.0);
    QCOMPARE(w.colorRange().upper, 1000.0);
    QCOMPARE(w.colorRange().lower, -1000.0);
    // The readout still reads the exact element.
    QVERIFY(w.readoutAt(1234, 567).endsWith(QStringLiteral(": 1000")));
}

void TestHeatmapWidget::zoomShowsExactCells() {
    auto m = std::make_shared<MatrixF>(3000, 2000);
    for (Eigen::Index r = 0; r < m->rows(); ++r)
        for (Eigen::Index c = 0; c < m->cols(); ++c)
            (*m)(r, c) = float(r * 2000 + c);
    HeatmapWidget w;
    w.resize(900, 700);
    w.setValues(m, nullptr);
    QVERIFY(!w.grid().exact);
    w.xAxis->setRange(99.5, 119.5); // columns 100..119
    w.yAxis->setRange(9.5, 19.5);   // rows 10..19
    QTRY_VERIFY(w.grid().exact);
    QCOMPARE(w.grid().colStart, 100);
    QCOMPARE(w.grid().rowStart, 10);
    QCOMPARE(w.gridData()->keySize(), 20);
    QCOMPARE(w.gridData()->valueSize(), 10);
    QCOMPARE(w.gridCell(0, 0), double(10 * 2000 + 100));
    QCOMPARE(w.gridCell(19, 9), double(19 * 2000 + 119));
    w.resetView();
    QCOMPARE(w.xAxis->range().lower, -0.5);
    QCOMPARE(w.xAxis->range().upper, 1999.5);
    QTRY_VERIFY(!w.grid().exact);
}

void TestHeatmapWidget::colorMapAndRange() {
    auto t = wstest::floatTensor(QStringLiteral("x"), {2, 2}, {1, 2, 3, 4});
    MatrixF m;
    QVERIFY(t->values(&m, nullptr));
    HeatmapWidget w;
    w.setValues(std::make_shared<MatrixF>(m), t);
    QCOMPARE(w.colorMapName(), QStringLiteral("viridis")); // non-negative data
    QCOMPARE(w.colorRange().lower, 1.0);
    QCOMPARE(w.colorRange().upper, 4.0);
    QVERIFY(!w.setColorMap(QStringLiteral("nonsense")));
    QVERIFY(w.setColorMap(QStringLiteral("magma")));
    w.setColorRange(-1, 10);
    QCOMPARE(w.colorScale()->dataRange().upper, 10.0);
    w.autoRange();
    QCOMPARE(w.colorScale()->dataRange().upper, 4.0);
}

// How long this first paint takes is reported by bench/run_benchmark.py
// (weightscope_bench --paint), not asserted here.
void TestHeatmapWidget::largeMatrixIsPooledToTheScreen() {
    auto m = std::make_shared<MatrixF>(50257, 768);
    m->setZero();
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-0.1f, 0.1f);
    float maxAbs = 0;
    for (Eigen::Index i = 0; i < m->size(); i += 97) {
        m->data()[i] = u(rng);
        maxAbs = std::max(maxAbs, std::abs(m->data()[i]));
    }
    HeatmapWidget w;
    w.resize(1100, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.setValues(m, nullptr);
    w.replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(w.gridData()->valueSize() <= 1000);
    QVERIFY(w.gridData()->keySize() <= 1100);
    QCOMPARE(w.colorScale()->dataRange().upper, double(maxAbs));
}

void TestHeatmapWidget::barChartShowsValues() {
    auto t = wstest::floatTensor(QStringLiteral("fc.bias"), {4}, {0.25f, -1.5f, 3.0f, 0.1f});
    MatrixF m;
    QVERIFY(t->values(&m, nullptr));
    BarChartWidget w;
    w.resize(600, 400);
    w.setValues(std::make_shared<MatrixF>(m), t);
    const QCPBarsDataContainer* d = w.bars()->data().data();
    QCOMPARE(d->size(), 4);
    const float expected[] = {0.25f, -1.5f, 3.0f, 0.1f};
    int i = 0;
    for (auto it = d->constBegin(); it != d->constEnd(); ++it, ++i) {
        QCOMPARE(it->key, double(i));
        QCOMPARE(it->value, double(expected[i]));
    }
    QCOMPARE(w.readoutAt(1), QStringLiteral("index 1: -1.5"));
    QCOMPARE(w.readoutAt(3), QStringLiteral("index 3: 0.1"));
    QVERIFY(w.readoutAt(4).isEmpty());
    QVERIFY(w.yAxis->range().lower < -1.5 && w.yAxis->range().upper > 3.0);

    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.replot();
    QSignalSpy spy(&w, &BarChartWidget::hoverText);
    const QPoint p(int(w.xAxis->coordToPixel(2)), int(w.yAxis->coordToPixel(1)));
    QMouseEvent move(QEvent::MouseMove, p, w.mapToGlobal(p), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(&w, &move);
    QVERIFY(!spy.isEmpty());
    QCOMPARE(spy.last().at(0).toString(), QStringLiteral("index 2: 3"));
}

void TestHeatmapWidget::longVectorIsPooled() {
    auto m = std::make_shared<MatrixF>(1, 50257);
    m->setConstant(0.01f);
    (*m)(0, 31337) = -7.0f;
    BarChartWidget w;
    w.resize(800, 400);
    w.setValues(m, nullptr);
    const QCPBarsDataContainer* d = w.bars()->data().data();
    QVERIFY(d->size() < 5000);
    double lowest = 0;
    for (auto it = d->constBegin(); it != d->constEnd(); ++it)
        lowest = std::min(lowest, it->value);
    QCOMPARE(lowest, -7.0);
    QCOMPARE(w.readoutAt(31337), QStringLiteral("index 31337: -7"));
}

void TestHeatmapWidget::tensorViewChoosesByRank() {
    auto file = wstest::smallModel();
    TensorView view;
    view.setTensor(file->tensors[0]);
    QCOMPARE(view.currentWidget(), static_cast<QWidget*>(view.heatmap()));
    view.setTensor(file->tensors[1]);
    QCOMPARE(view.currentWidget(), static_cast<QWidget*>(view.barChart()));
    view.setTensor(file->tensors[5]);
    QCOMPARE(view.currentWidget(), static_cast<QWidget*>(view.scalarView()));
    QCOMPARE(view.scalarView()->valueText(), QStringLiteral("42"));
    view.clear();
    QVERIFY(!view.message().isEmpty());
}

void TestHeatmapWidget::tensorViewShowsLoadError() {
    auto t = wstest::floatTensor(QStringLiteral("broken.weight"), {100, 100},
                                 std::vector<float>(10, 1.0f));
    TensorView view;
    view.setTensor(t);
    QVERIFY(view.currentWidget() != view.heatmap());
    QVERIFY2(view.message().contains(QStringLiteral("broken.weight")), qPrintable(view.message()));
}

void TestHeatmapWidget::longTitlesNeverWidenThePlot() {
    // A title longer than the plot is drawn elided; it never makes the plot (and the
    // window around it) wider, and title() keeps the whole text.
    const QString title = QStringLiteral("model.layers.0.mlp.down_proj.weight:dequantized   "
                                         "[300, 260] fp8 e4m3 (128x128 blocks)")
                              .repeated(3);
    HeatmapWidget h;
    const int before = h.plotLayout()->minimumOuterSizeHint().width();
    h.setTitle(title);
    QCOMPARE(h.title(), title);
    QCOMPARE(h.plotLayout()->minimumOuterSizeHint().width(), before);
    h.resize(300, 200);
    h.show();
    QVERIFY(QTest::qWaitForWindowExposed(&h));
    h.replot(QCustomPlot::rpImmediateRefresh);
    QCOMPARE(h.title(), title);
    QVERIFY(h.width() <= 300);
    HistogramWidget histogram;
    const int hBefore = histogram.plotLayout()->minimumOuterSizeHint().width();
    histogram.showHistograms(Histogram(), Histogram(), title);
    QCOMPARE(histogram.plotLayout()->minimumOuterSizeHint().width(), hBefore);

    // What is drawn: the name elided in its middle, the shape and dtype whole while they
    // fit; everything elided when even they do not.
    const QString one = QStringLiteral("model.layers.0.mlp.down_proj.weight:dequantized   "
                                       "[300, 260] fp8 e4m3 (128x128 blocks)");
    const QFontMetrics fm(h.font());
    const int tailWidth =
        fm.horizontalAdvance(QStringLiteral("   [300, 260] fp8 e4m3 (128x128 blocks)"));
    QCOMPARE(elideTitle(one, fm, fm.horizontalAdvance(one)), one);
    const QString cut =
        elideTitle(one, fm, tailWidth + fm.horizontalAdvance(QStringLiteral("model.lay…weight")));
    QVERIFY2(cut.endsWith(QStringLiteral("   [300, 260] fp8 e4m3 (128x128 blocks)")) &&
                 cut.startsWith(QStringLiteral("model.")) && cut.contains(QChar(0x2026)),
             qPrintable(cut));
    QVERIFY(fm.horizontalAdvance(cut) <=
            tailWidth + fm.horizontalAdvance(QStringLiteral("model.lay…weight")));
    const QString tiny = elideTitle(one, fm, tailWidth / 2);
    QVERIFY2(!tiny.contains(QStringLiteral("[300, 260] fp8")) &&
                 fm.horizontalAdvance(tiny) <= tailWidth / 2,
             qPrintable(tiny));
    // A message of several lines: each line elided on its own, the lines kept.
    const QString lines = elideTitle(QStringLiteral("short\n") + one, fm, tailWidth / 2);
    QCOMPARE(lines.count(QLatin1Char('\n')), 1);
    QVERIFY(lines.startsWith(QStringLiteral("short\n")));
    QCOMPARE(lines.mid(6), tiny);
}

QTEST_MAIN(TestHeatmapWidget)
#include "tst_heatmapwidget.moc"
