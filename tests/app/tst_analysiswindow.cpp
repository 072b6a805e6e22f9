// Main window analysis: histogram dock of the shown tensor and of the selection,
// the keyboard cursor driving the readout and the cell table, slices of a conv
// weight, and File > Compare With on a second file.
#include "CellTableView.h"
#include "CompareWidget.h"
#include "FeatureImportanceWidget.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "MainWindow.h"
#include "SpectrumWidget.h"
#include "TensorView.h"
#include "TestUtil.h"

#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace ws;

class TestAnalysisWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void histogramKeyboardAndCompare();
    void largeTensorAnalysedInBackground();
};

void TestAnalysisWindow::histogramKeyboardAndCompare() {
    const QString path = wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    QVERIFY2(QFile::exists(path), qPrintable(path));
    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    QVERIFY(w.openFile(path));
    QVERIFY(loaded.wait(10000));
    QTRY_COMPARE(shown.count(), 1);
    // Histogram of the whole 8 x 4 weight, then of a 2 x 3 selection.
    w.histogramDock()->show();
    w.refreshAnalysis();
    int64_t total = 0;
    for (int64_t c : w.histogram()->histogram().counts)
        total += c;
    QCOMPARE(total, int64_t(32));
    w.setSelection(1, 1, 2, 3);
    w.refreshAnalysis();
    total = 0;
    for (int64_t c : w.histogram()->histogram().counts)
        total += c;
    QCOMPARE(total, int64_t(6));
    w.clearSelection();

    // Arrow keys move the cursor; the status-bar readout and the cell table follow.
    HeatmapWidget* h = w.tensorView()->heatmap();
    h->setFocus();
    QTest::keyClick(h, Qt::Key_Down);
    QTest::keyClick(h, Qt::Key_Down);
    QTest::keyClick(h, Qt::Key_Right);
    QCOMPARE(h->cursorRow(), 1);
    QCOMPARE(h->cursorCol(), 1);
    QVERIFY2(w.readoutText().startsWith(QStringLiteral("row 1, column 1: ")),
             qPrintable(w.readoutText()));
    QCOMPARE(w.cellTable()->currentIndex().row(), 1);
    QCOMPARE(w.cellTable()->currentIndex().column(), 1);
    // Enter opens the cell table's editor on that cell (the existing editing path).
    QTest::keyClick(h, Qt::Key_Return);
    QLineEdit* editor = w.cellTable()->viewport()->findChild<QLineEdit*>();
    QVERIFY(editor);
    QTRY_VERIFY(editor->isVisible());
    QCOMPARE(editor->text(), w.cellTable()->currentIndex().data(Qt::EditRole).toString());
    QTest::keyClick(editor, Qt::Key_Escape);

    // The spectrum dock computes the shown weight's singular values.
    w.spectrumDock()->show();
    QSignalSpy spectrumDone(w.spectrum(), &SpectrumWidget::finished);
    w.refreshAnalysis();
    if (w.spectrum()->isRunning()) QVERIFY(spectrumDone.wait(20000));
    QCOMPARE(w.spectrum()->spectrum().singularValues.size(), size_t(4));

    // Comparing the file with itself: every tensor unchanged.
    QSignalSpy ready(&w, &MainWindow::comparisonReady);
    w.compareWith(path);
    QVERIFY(ready.wait(20000));
    QCOMPARE(ready.last().at(0).toString(), QString());
    QTableWidget* t = w.comparison()->table();
    QCOMPARE(t->rowCount(), int(w.weightFile()->tensors.size()));
    for (int r = 0; r < t->rowCount(); ++r)
        QCOMPARE(t->item(r, 1)->data(Qt::UserRole).toDouble(), 0.0);
}

void TestAnalysisWindow::largeTensorAnalysedInBackground() {
    // 1100 x 1000 values: histogram and feature norms are computed off the GUI
    // thread from a snapshot; numpy gives the expected counts and norms.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("big.npy"));
    QString out;
    QCOMPARE(wstest::runPython(
                 {QStringLiteral("-c"),
                  QStringLiteral("import sys, numpy as np\n"
                                 "a = np.random.default_rng(5).standard_normal((1100, 1000))"
                                 ".astype(np.float32)\n"
                                 "a[3, 4] = 9\n"
                                 "np.save(sys.argv[1], a)\n"
                                 "c, e = np.histogram(a, bins=int(sys.argv[2]), "
                                 "range=(float(a.min()), float(a.max())))\n"
                                 "print(' '.join(map(str, c)))\n"
                                 "print(' '.join(repr(float(x)) for x in np.linalg.norm("
                                 "a.astype(np.float64), axis=0)[:5]))\n"),
                  path, QString::number(HistogramWidget().binCount())},
                 &out),
             0);
    const QStringList lines = out.trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    std::vector<int64_t> counts;
    for (const QString& c : lines[0].split(QLatin1Char(' ')))
        counts.push_back(c.toLongLong());
    MainWindow w;
    w.show();
    w.spectrumDock()->hide(); // its SVD is tested above, and slow on a Debug build
    QSignalSpy loaded(&w, &MainWindow::fileLoaded);
    QSignalSpy shown(&w, &MainWindow::tensorShown);
    QVERIFY(w.openFile(path));
    QVERIFY(loaded.wait(10000));
    QTRY_VERIFY(shown.count() >= 1);
    w.histogramDock()->show();
    w.featuresDock()->show();
    w.refreshAnalysis();
    // Until the worker reports, the histogram says what it is computing (no empty axes).
    QCOMPARE(w.histogram()->title(), QStringLiteral("Computing the histogram of big…"));
    QVERIFY(!w.histogram()->xAxis->visible());
    QVERIFY(w.histogram()->histogram().counts.empty());
    const auto total = [&w] {
        int64_t n = 0;
        for (int64_t c : w.histogram()->histogram().counts)
            n += c;
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(total(), int64_t(1100 * 1000), 20000);
    QCOMPARE(w.histogram()->title(), QStringLiteral("big (1100000 values)"));
    QVERIFY(w.histogram()->xAxis->visible() && w.histogram()->yAxis->visible());
    const std::vector<int64_t>& got = w.histogram()->histogram().counts;
    QCOMPARE(got.size(), counts.size());
    for (size_t i = 0; i < got.size(); ++i) // bin edges in float vs double: a value may move
        QVERIFY2(
            std::llabs(got[i] - counts[i]) <= 2,
            qPrintable(QStringLiteral("bin %1: %2 vs numpy %3").arg(i).arg(got[i]).arg(counts[i])));
    QTRY_COMPARE_WITH_TIMEOUT(w.featureImportance()->inputNorms().size(), size_t(1000), 20000);
    const QStringList norms = lines[1].split(QLatin1Char(' '));
    for (int i = 0; i < norms.size(); ++i)
        QVERIFY(std::fabs(w.featureImportance()->inputNorms()[size_t(i)] - norms[i].toDouble()) <
                1e-6 * norms[i].toDouble());

    // Above the automatic limit the spectrum waits for the Compute button.
    MainWindow::setSpectrumAutoLimit(1000);
    w.spectrumDock()->show();
    w.refreshAnalysis();
    QVERIFY(!w.spectrum()->isRunning());
    QVERIFY(w.spectrum()->computeButton()->isVisible());
    QCOMPARE(w.spectrum()->spectrum().singularValues.size(), size_t(0));
    QSignalSpy done(w.spectrum(), &SpectrumWidget::finished);
    w.spectrum()->computeButton()->click();
    QVERIFY(w.spectrum()->isRunning() || done.count() > 0);
    QVERIFY(!w.spectrum()->computeButton()->isVisible());
    w.spectrum()->cancel(); // started from the snapshot: enough for this test
    MainWindow::setSpectrumAutoLimit(int64_t(16) << 20);
}

QTEST_MAIN(TestAnalysisWindow)
#include "tst_analysiswindow.moc"
