// Heatmap colour options and n-D views: scales and range modes change the drawn
// colours (checked against matplotlib's norms and on rendered pixels), slices
// and the kernel mosaic of a rank-4 conv weight match torch's values, and the
// keyboard cursor moves the outline and the readout.
#include "FormatRegistry.h"
#include "HeatmapWidget.h"
#include "TensorView.h"
#include "TestUtil.h"
#include "WeightFile.h"
#include "widgets/MemoryWeightFile.h"

#include <QSignalSpy>
#include <QtTest>
#include <cmath>

using namespace ws;

class TestHeatmapOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void percentileClipPutsOutlierOver();
    void symlogMatchesMatplotlib();
    void logScaleUsesMagnitudes();
    void renderedPixelsUseTheColours();
    void sliceOfConvWeightMatchesTorch();
    void mosaicLaysOutKernels();
    void arrowKeysMoveCursorAndReadout();
    void gridLinesWhenZoomedIn();
    void aspectLockGivesSquareCells();

private:
    static TensorPtr convWeight(MatrixF* flat, wstest::Npy* npy);
};

namespace {

// Colours equal up to one unit per channel (float vs double positions).
bool near(QRgb a, QRgb b) {
    return std::abs(qRed(a) - qRed(b)) <= 1 && std::abs(qGreen(a) - qGreen(b)) <= 1 &&
           std::abs(qBlue(a) - qBlue(b)) <= 1;
}

std::shared_ptr<MatrixF> matrixOf(const TensorPtr& t) {
    auto m = std::make_shared<MatrixF>();
    if (!t->values(m.get(), nullptr)) return nullptr;
    return m;
}

} // namespace

void TestHeatmapOptions::percentileClipPutsOutlierOver() {
    std::vector<float> v = wstest::ramp(100, 0.01f, 0.0f); // 0 .. 0.99
    v[57] = 1000.0f;
    v[3] = -1000.0f;
    auto t = wstest::floatTensor(QStringLiteral("x"), {10, 10}, v);
    HeatmapWidget w;
    w.resize(600, 500);
    w.setValues(matrixOf(t), t);
    // Automatic range: the outliers stretch it, nothing is out of range.
    QCOMPARE(w.gridColor(7, 5), w.colorSpec().map.colorAt(1.0));
    bool under = true, over = true;
    QVERIFY(!w.rangeExtended(&under, &over)); // no marks on the colour bar
    QVERIFY(!under && !over);
    w.setRangeMode(RangeMode::Percentile, 1, 99);
    QString out;
    const QString code = QStringLiteral(
        "import numpy as np\n"
        "v = (np.arange(100, dtype=np.float32) * np.float32(0.01)).astype(np.float32)\n"
        "v[57] = 1000; v[3] = -1000\n"
        "print(repr(float(np.percentile(v, 1))), repr(float(np.percentile(v, 99))))\n");
    QCOMPARE(wstest::runPython({QStringLiteral("-c"), code}, &out), 0);
    const QStringList p = out.trimmed().split(QLatin1Char(' '));
    QCOMPARE(p.size(), 2);
    QVERIFY(std::fabs(w.colorRange().lower - p[0].toDouble()) < 1e-9);
    // numpy interpolates in float32 for float32 input; we interpolate in double.
    QVERIFY(std::fabs(w.colorRange().upper - p[1].toDouble()) < 1e-5 * p[1].toDouble());
    const ColorScale& spec = w.colorSpec();
    QCOMPARE(w.gridColor(7, 5), spec.over);
    QCOMPARE(w.gridColor(3, 0), spec.under);
    QVERIFY(spec.over != spec.under);
    QVERIFY(w.rangeExtended(&under, &over)); // both ends of the colour bar marked
    QVERIFY(under && over);
    // An ordinary cell keeps a colour of the map.
    QVERIFY(near(w.gridColor(1, 0), spec.map.colorAt(spec.position(0.01))));
    w.setRangeMode(RangeMode::Symmetric);
    QCOMPARE(w.colorRange().upper, 1000.0);
    QCOMPARE(w.colorRange().lower, -1000.0);
    QVERIFY(!w.rangeExtended(&under, &over));
    w.setColorRange(-1000, 0.5); // cuts off the top only
    QVERIFY(w.rangeExtended(&under, &over));
    QVERIFY(!under && over);
    w.setColorRange(0.2, 0.5);
    QCOMPARE(w.rangeMode(), RangeMode::Manual);
    QCOMPARE(w.gridColor(1, 0), spec.under);
    QCOMPARE(w.gridColor(0, 9), w.colorSpec().over);
}

void TestHeatmapOptions::symlogMatchesMatplotlib() {
    const std::vector<float> v = {-1.0f, -0.05f, -0.004f, 0.0f, 0.002f, 0.01f, 0.3f, 1.0f};
    auto t = wstest::floatTensor(QStringLiteral("x"), {2, 4}, v);
    HeatmapWidget w;
    w.resize(600, 500);
    w.setValues(matrixOf(t), t);
    w.setScaleType(ColorScale::Scale::SymLog);
    w.setLinearThreshold(0.01);
    w.setRangeMode(RangeMode::Symmetric);
    QString out;
    const QString code = QStringLiteral(
        "import matplotlib.colors as c\n"
        "n = c.SymLogNorm(linthresh=0.01, linscale=1, vmin=-1, vmax=1, base=10)\n"
        "print(' '.join(repr(float(n(x))) for x in [-1,-0.05,-0.004,0,0.002,0.01,0.3,1]))\n");
    QCOMPARE(wstest::runPython({QStringLiteral("-c"), code}, &out), 0);
    const QStringList parts = out.trimmed().split(QLatin1Char(' '));
    QCOMPARE(parts.size(), 8);
    const ColorScale& spec = w.colorSpec();
    for (int i = 0; i < 8; ++i) {
        const double expected = parts[i].toDouble();
        QVERIFY2(std::fabs(spec.position(v[size_t(i)]) - expected) < 1e-6,
                 qPrintable(QStringLiteral("%1: %2 vs %3")
                                .arg(v[size_t(i)])
                                .arg(spec.position(v[size_t(i)]))
                                .arg(expected)));
        QVERIFY(near(w.gridColor(i % 4, i / 4), spec.map.colorAt(expected)));
    }
    // The colour bar runs in transformed space and labels original values.
    auto ticker = w.colorScale()->axis()->ticker().dynamicCast<QCPAxisTickerText>();
    QVERIFY(ticker);
    QVERIFY(ticker->ticks().values().contains(QStringLiteral("0.1")));
    QVERIFY(ticker->ticks().values().contains(QStringLiteral("-1")));
}

void TestHeatmapOptions::logScaleUsesMagnitudes() {
    const std::vector<float> v = {1e-4f, -1e-2f, 1.0f, 0.0f};
    auto t = wstest::floatTensor(QStringLiteral("x"), {2, 2}, v);
    HeatmapWidget w;
    w.setValues(matrixOf(t), t);
    w.setScaleType(ColorScale::Scale::Log);
    // Range over |x| > 0: 1e-4 .. 1; -1e-2 sits half-way on a log axis; 0 is under.
    QVERIFY(std::fabs(w.colorRange().lower - 1e-4) < 1e-10);
    QCOMPARE(w.colorRange().upper, 1.0);
    const ColorScale& spec = w.colorSpec();
    QVERIFY(std::fabs(spec.position(-1e-2) - 0.5) < 1e-6);
    QVERIFY(near(w.gridColor(1, 0), spec.map.colorAt(spec.position(-1e-2))));
    QCOMPARE(w.gridColor(1, 1), spec.under);
    w.setScaleType(ColorScale::Scale::Sqrt);
    w.setRangeMode(RangeMode::MinMax);
    QCOMPARE(w.colorRange().lower, double(-1e-2f));
}

void TestHeatmapOptions::renderedPixelsUseTheColours() {
    std::vector<float> v = wstest::ramp(16, 0.1f, 0.0f);
    v[5] = 50.0f;
    auto t = wstest::floatTensor(QStringLiteral("x"), {4, 4}, v);
    HeatmapWidget w;
    w.resize(600, 500);
    w.setValues(matrixOf(t), t);
    w.setColorRange(0.0, 1.0);
    QPixmap pm = w.toPixmap(600, 500, 1.0);
    const QImage img = pm.toImage();
    const auto pixel = [&](int row, int col) {
        return img.pixel(int(w.xAxis->coordToPixel(col)), int(w.yAxis->coordToPixel(row))) &
               0xffffff;
    };
    QCOMPARE(pixel(1, 1), w.colorSpec().over & 0xffffff);
    QCOMPARE(pixel(0, 0), w.colorSpec().map.colorAt(0.0) & 0xffffff);
    QCOMPARE(pixel(3, 3), w.colorSpec().over & 0xffffff); // 1.5 > 1
    QCOMPARE(pixel(1, 0), w.colorSpec().map.colorAt(0.4) & 0xffffff);
}

TensorPtr TestHeatmapOptions::convWeight(MatrixF* flat, wstest::Npy* npy) {
    QString error;
    std::unique_ptr<WeightFile> f =
        openWeightFile(wstest::fixture(QStringLiteral("pytorch/whole_module.pt")), &error);
    if (!f) return nullptr;
    TensorPtr conv;
    for (const TensorPtr& t : f->tensors)
        if (t->name == QLatin1String("6.weight")) conv = t;
    if (!conv || !conv->values(flat, &error)) return nullptr;
    if (!wstest::readNpy(wstest::fixture(QStringLiteral("pytorch/whole_module.pt.expected/23.npy")),
                         npy))
        return nullptr;
    return conv;
}

void TestHeatmapOptions::sliceOfConvWeightMatchesTorch() {
    MatrixF flat;
    wstest::Npy npy;
    TensorPtr conv = convWeight(&flat, &npy);
    QVERIFY(conv);
    QCOMPARE(conv->shape, (std::vector<int64_t>{2, 1, 3, 3}));
    QCOMPARE(npy.shape, (std::vector<int64_t>{2, 1, 3, 3}));
    const auto w = [&](int64_t o, int64_t i, int64_t a, int64_t b) {
        return npy.values[size_t(((o * 1 + i) * 3 + a) * 3 + b)];
    };
    TensorView view;
    view.resize(900, 600);
    view.setTensor(conv);
    QVERIFY(!view.sliceControls()->isHidden());
    HeatmapWidget* h = view.heatmap();
    // Default: dim 0 x flattened rest.
    QCOMPARE(h->readMatrix().rows(), 2);
    QCOMPARE(h->readMatrix().cols(), 9);
    // The kernel w[1, 0, :, :] (rows = dim 2, columns = dim 3).
    SliceSpec s;
    s.mode = SliceSpec::Mode::Slice;
    s.rowAxis = 2;
    s.colAxis = 3;
    s.index = {1, 0, 0, 0};
    view.sliceControls()->setSpec(s);
    Q_EMIT view.sliceControls()->changed();
    QVERIFY(view.isSliced());
    QCOMPARE(h->readMatrix().rows(), 3);
    QCOMPARE(h->readMatrix().cols(), 3);
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b)
            QCOMPARE(double(h->readMatrix()(a, b)), w(1, 0, a, b));
    QCOMPARE(h->xAxis->label(), QStringLiteral("kernel columns (dim 3)"));
    // w[:, 0, :, 2] (rows = dim 0, columns = dim 2) through the slider of dim 3.
    s.rowAxis = 0;
    s.colAxis = 2;
    s.index = {0, 0, 0, 0};
    view.sliceControls()->setSpec(s);
    Q_EMIT view.sliceControls()->changed();
    auto* slider = view.sliceControls()->findChild<QSlider*>(QStringLiteral("dim3"));
    QVERIFY(slider);
    slider->setValue(2);
    QCOMPARE(h->readMatrix().rows(), 2);
    QCOMPARE(h->readMatrix().cols(), 3);
    for (int o = 0; o < 2; ++o)
        for (int a = 0; a < 3; ++a)
            QCOMPARE(double(h->readMatrix()(o, a)), w(o, 0, a, 2));
    // The readout names the n-D index of the element under the cell.
    QVERIFY(h->readoutAt(1, 2).contains(QStringLiteral("[1, 0, 2, 2]")));
    int64_t r = 0, c = 0;
    QVERIFY(view.toMatrixCell(1, 2, &r, &c));
    QCOMPARE(r, 1);
    QCOMPARE(c, 8); // flattened 2-D view: dims 1..3 -> 0*9 + 2*3 + 2
    QVERIFY(view.fromMatrixCell(1, 8, &r, &c));
    QCOMPARE(r, 1);
    QCOMPARE(c, 2);
    QVERIFY(!view.fromMatrixCell(1, 7, &r, &c)); // dim 3 = 1 is not in this slice
}

void TestHeatmapOptions::mosaicLaysOutKernels() {
    MatrixF flat;
    wstest::Npy npy;
    TensorPtr conv = convWeight(&flat, &npy);
    QVERIFY(conv);
    TensorView view;
    view.resize(900, 600);
    view.setTensor(conv);
    SliceSpec s;
    s.mode = SliceSpec::Mode::Mosaic;
    view.sliceControls()->setSpec(s);
    Q_EMIT view.sliceControls()->changed();
    const MatrixF& m = view.heatmap()->readMatrix();
    // Two output channels stacked (3 rows each, one gap row), one input channel.
    QCOMPARE(m.rows(), 7);
    QCOMPARE(m.cols(), 3);
    for (int o = 0; o < 2; ++o)
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b)
                QCOMPARE(double(m(o * 4 + a, b)), npy.values[size_t((o * 3 + a) * 3 + b)]);
    for (int b = 0; b < 3; ++b)
        QVERIFY(std::isnan(m(3, b)));
    QVERIFY(view.heatmap()->readoutAt(3, 1).contains(QStringLiteral("gap")));
    QCOMPARE(view.heatmap()->gridColor(1, 3), qRgb(255, 255, 255));
    QVERIFY(view.heatmap()->readoutAt(5, 2).contains(QStringLiteral("[1, 0, 1, 2]")));
}

void TestHeatmapOptions::arrowKeysMoveCursorAndReadout() {
    auto t = wstest::floatTensor(QStringLiteral("fc.weight"), {3, 4}, wstest::ramp(12));
    HeatmapWidget w;
    w.resize(600, 500);
    w.setValues(matrixOf(t), t);
    QSignalSpy hover(&w, &HeatmapWidget::hoverText);
    QSignalSpy moved(&w, &HeatmapWidget::cursorMoved);
    QSignalSpy edit(&w, &HeatmapWidget::editRequested);
    QTest::keyClick(&w, Qt::Key_Down); // first key puts the cursor on (0, 0)
    QCOMPARE(w.cursorRow(), 0);
    QTest::keyClick(&w, Qt::Key_Down);
    QTest::keyClick(&w, Qt::Key_Right);
    QTest::keyClick(&w, Qt::Key_Right);
    QCOMPARE(w.cursorRow(), 1);
    QCOMPARE(w.cursorCol(), 2);
    QCOMPARE(hover.last().at(0).toString(), QStringLiteral("row 1, column 2: 0"));
    QCOMPARE(moved.last().at(0).toLongLong(), 1);
    QCOMPARE(moved.last().at(1).toLongLong(), 2);
    QVERIFY(w.currentCellItem()->visible());
    QCOMPARE(w.currentCellItem()->topLeft->coords(), QPointF(1.5, 0.5));
    for (int i = 0; i < 5; ++i)
        QTest::keyClick(&w, Qt::Key_Right); // clamped at the last column
    QCOMPARE(w.cursorCol(), 3);
    QTest::keyClick(&w, Qt::Key_Return);
    QCOMPARE(edit.count(), 1);
    QCOMPARE(edit.last().at(1).toLongLong(), 3);
    const double before = w.xAxis->range().size();
    QTest::keyClick(&w, Qt::Key_Plus);
    QVERIFY(w.xAxis->range().size() < before);
    QTest::keyClick(&w, Qt::Key_Minus);
    QCOMPARE(w.xAxis->range().size(), before);
}

void TestHeatmapOptions::gridLinesWhenZoomedIn() {
    auto big = wstest::floatTensor(QStringLiteral("x"), {200, 300}, wstest::ramp(60000, 1e-4f));
    HeatmapWidget w;
    w.resize(800, 600);
    w.setValues(matrixOf(big), big);
    QVERIFY(!w.cellGridVisible());
    w.xAxis->setRange(10, 30);
    w.yAxis->setRange(10, 25);
    QVERIFY(w.cellGridVisible());
}

void TestHeatmapOptions::aspectLockGivesSquareCells() {
    auto t = wstest::floatTensor(QStringLiteral("x"), {4, 40}, wstest::ramp(160));
    HeatmapWidget w;
    w.resize(800, 600);
    w.setValues(matrixOf(t), t);
    w.replot();
    w.setAspectLocked(true);
    w.replot();
    const double ux = w.xAxis->range().size() / w.axisRect()->width();
    const double uy = w.yAxis->range().size() / w.axisRect()->height();
    QVERIFY2(std::fabs(ux / uy - 1) < 0.005, qPrintable(QStringLiteral("%1 %2").arg(ux).arg(uy)));
    QVERIFY(w.xAxis->range().size() >= 40 - 1e-9); // the whole matrix still fits
}

QTEST_MAIN(TestHeatmapOptions)
#include "tst_heatmapoptions.moc"
