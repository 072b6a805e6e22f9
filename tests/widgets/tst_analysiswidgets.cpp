// Analysis views: histogram counts, spectrum against ws::computeSpectrum, feature
// norms, the comparison table and difference heatmap, and image export at the
// requested size.
#include "CompareWidget.h"
#include "ExportDialog.h"
#include "FeatureImportanceWidget.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "SpectrumWidget.h"
#include "TestUtil.h"
#include "widgets/MemoryWeightFile.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <random>

using namespace ws;

class TestAnalysisWidgets : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void histogramCountsAddUp();
    void histogramOverlaysOriginal();
    void spectrumEqualsComputeSpectrum();
    void spectrumCanBeCancelled();
    void featureNormsAndSorting();
    void compareTableAndDifference();
    void exportDialogWritesRequestedSize();
};

namespace {

MatrixF randomMatrix(int rows, int cols, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> d(0.0f, 1.0f);
    MatrixF m(rows, cols);
    for (int i = 0; i < int(m.size()); ++i)
        m.data()[i] = d(gen);
    return m;
}

} // namespace

void TestAnalysisWidgets::histogramCountsAddUp() {
    const MatrixF m = randomMatrix(37, 53, 1);
    HistogramWidget h;
    h.setValues(m.data(), int64_t(m.size()));
    int64_t total = 0;
    for (int64_t c : h.histogram().counts)
        total += c;
    QCOMPARE(total, int64_t(37 * 53));
    QCOMPARE(h.bars()->data()->size(), 64);
    QCOMPARE(h.histogram().edges.front(), double(m.minCoeff()));
    QCOMPARE(h.histogram().edges.back(), double(m.maxCoeff()));
    double barTotal = 0;
    for (auto it = h.bars()->data()->constBegin(); it != h.bars()->data()->constEnd(); ++it)
        barTotal += it->value;
    QCOMPARE(barTotal, double(37 * 53));
    h.setLogCounts(true);
    QCOMPARE(h.yAxis->scaleType(), QCPAxis::stLogarithmic);
}

void TestAnalysisWidgets::histogramOverlaysOriginal() {
    const MatrixF orig = randomMatrix(10, 10, 2);
    MatrixF cur = orig;
    cur.block(0, 0, 2, 10).setConstant(0.0f);
    HistogramWidget h;
    h.setValues(cur.data(), 100, orig.data(), 100);
    QVERIFY(h.originalGraph()->visible());
    int64_t total = 0;
    for (int64_t c : h.originalHistogram().counts)
        total += c;
    // Both are binned over the range of the two together: every value is counted.
    QCOMPARE(total, int64_t(100));
    QCOMPARE(h.histogram().edges.front(), double(std::min(orig.minCoeff(), 0.0f)));
    QCOMPARE(h.histogram().edges.back(), double(std::max(orig.maxCoeff(), 0.0f)));
    h.setValues(cur.data(), 100);
    QVERIFY(!h.originalGraph()->visible());
}

void TestAnalysisWidgets::spectrumEqualsComputeSpectrum() {
    auto m = std::make_shared<MatrixF>(randomMatrix(40, 25, 3));
    Spectrum expected;
    QString error;
    QVERIFY(computeSpectrum(*m, &expected, &error));
    SpectrumWidget w;
    QSignalSpy done(&w, &SpectrumWidget::finished);
    w.setMatrix(m, QStringLiteral("w"));
    QVERIFY(done.wait(20000));
    QCOMPARE(done.last().at(0).toBool(), true);
    QCOMPARE(w.spectrum().singularValues.size(), size_t(25));
    for (size_t i = 0; i < 25; ++i)
        QCOMPARE(w.spectrum().singularValues[i], expected.singularValues[i]);
    QCOMPARE(w.spectrum().stableRank, expected.stableRank);
    QCOMPARE(w.plot()->graph(0)->data()->size(), 25);
    QVERIFY(w.summary().contains(QString::number(expected.stableRank, 'g', 5)));
    QVERIFY(w.summary().contains(QString::number(expected.spectral, 'g', 6)));
}

void TestAnalysisWidgets::spectrumCanBeCancelled() {
    auto m = std::make_shared<MatrixF>(randomMatrix(1200, 1100, 4));
    SpectrumWidget w;
    QSignalSpy done(&w, &SpectrumWidget::finished);
    w.setMatrix(m, QStringLiteral("big"));
    w.cancel();
    QVERIFY(done.wait(60000));
    // Either the cancel arrived in time or the computation had already finished.
    if (!done.last().at(0).toBool()) QVERIFY(w.spectrum().singularValues.empty());
    QVERIFY(!w.isRunning());
}

void TestAnalysisWidgets::featureNormsAndSorting() {
    MatrixF m(2, 3);
    m << 3, 0, 1, 4, 2, 0;
    FeatureImportanceWidget w;
    w.setMatrix(m);
    QCOMPARE(w.inputNorms().size(), size_t(3));
    QCOMPARE(w.inputNorms()[0], 5.0);
    QCOMPARE(w.inputNorms()[1], 2.0);
    QCOMPARE(w.outputNorms()[1], std::sqrt(20.0));
    w.setSorted(true);
}

void TestAnalysisWidgets::compareTableAndDifference() {
    auto a = std::make_shared<WeightFile>();
    auto b = std::make_shared<WeightFile>();
    a->path = QStringLiteral("a.pt");
    b->path = QStringLiteral("b.pt");
    const std::vector<float> va = wstest::ramp(6, 1.0f, 1.0f); // 1..6
    std::vector<float> vb = va;
    vb[4] += 2.0f;
    a->tensors.push_back(wstest::floatTensor(QStringLiteral("w"), {2, 3}, va));
    b->tensors.push_back(wstest::floatTensor(QStringLiteral("w"), {2, 3}, vb));
    a->tensors.push_back(wstest::floatTensor(QStringLiteral("same"), {2}, {1, 2}));
    b->tensors.push_back(wstest::floatTensor(QStringLiteral("same"), {2}, {1, 2}));
    CompareWidget w;
    w.setComparison(a, b, compareFiles(*a, *b));
    QTableWidget* t = w.table();
    QCOMPARE(t->rowCount(), 2);
    // Sorted by relative change, largest first: ||b - a|| / ||a|| = 2 / sqrt(91).
    QCOMPARE(t->item(0, 0)->text(), QStringLiteral("w"));
    QVERIFY(std::fabs(t->item(0, 1)->data(Qt::UserRole).toDouble() - 2.0 / std::sqrt(91.0)) < 1e-6);
    QCOMPARE(t->item(1, 1)->data(Qt::UserRole).toDouble(), 0.0);
    t->selectRow(0);
    const MatrixF& d = w.heatmap()->readMatrix();
    QCOMPARE(d.rows(), 2);
    QCOMPARE(d(1, 1), -2.0f); // this - other
    QCOMPARE(d(0, 0), 0.0f);
    QVERIFY(w.heatmap()->differenceMode());
}

void TestAnalysisWidgets::exportDialogWritesRequestedSize() {
    auto t = wstest::floatTensor(QStringLiteral("fc.weight"), {3, 4}, wstest::ramp(12));
    auto m = std::make_shared<MatrixF>();
    QVERIFY(t->values(m.get(), nullptr));
    HeatmapWidget h;
    h.resize(500, 400);
    h.setValues(m, t);
    QTemporaryDir dir;
    ExportDialog dialog(&h);
    dialog.setImageSize(640, 480);
    dialog.setPath(dir.filePath(QStringLiteral("a.png")));
    QString error;
    QVERIFY2(dialog.exportNow(true, &error), qPrintable(error));
    QImage img(dir.filePath(QStringLiteral("a.png")));
    QCOMPARE(img.size(), QSize(640, 480));
    QCOMPARE(qRound(img.dotsPerMeterX() * 0.0254), 300);
    // The plot on screen is left as it was.
    QCOMPARE(h.width(), 500);
    QVERIFY(h.colorScale()->visible());
    PlotImageOptions o;
    o.dpi = 150;
    o.widthPt = 800 * 72.0 / o.dpi;
    o.heightPt = 300 * 72.0 / o.dpi;
    o.showColorBar = false;
    o.title.clear();
    QVERIFY(exportPlot(&h, dir.filePath(QStringLiteral("b.svg")), o, &error));
    QVERIFY(QFileInfo(dir.filePath(QStringLiteral("b.svg"))).size() > 1000);
    QVERIFY(exportPlot(&h, dir.filePath(QStringLiteral("c.pdf")), o, &error));
    QVERIFY(QFileInfo(dir.filePath(QStringLiteral("c.pdf"))).size() > 500);
    {
        // The page is the image's physical size: 800 x 300 pixels at o.dpi.
        QFile pdf(dir.filePath(QStringLiteral("c.pdf")));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("/MediaBox \\[0 0 ([0-9.]+) ([0-9.]+)\\]"))
                .match(QString::fromLatin1(pdf.readAll()));
        QVERIFY(m.hasMatch());
        QVERIFY(std::fabs(m.captured(1).toDouble() - 800 * 72.0 / o.dpi) < 1);
        QVERIFY(std::fabs(m.captured(2).toDouble() - 300 * 72.0 / o.dpi) < 1);
    }
    QVERIFY(h.plotLayout()->hasElement(1, 1)); // colour bar back in its place
    QVERIFY(!exportPlot(&h, dir.filePath(QStringLiteral("d.bmp")), o, &error));
    QCOMPARE(plotImage(&h, 320, 200).size(), QSize(320, 200));
}

QTEST_MAIN(TestAnalysisWidgets)
#include "tst_analysiswidgets.moc"
