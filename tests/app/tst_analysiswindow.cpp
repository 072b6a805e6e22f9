// Main window analysis: histogram dock of the shown tensor and of the selection,
// the keyboard cursor driving the readout and the cell table, slices of a conv
// weight, and File > Compare With on a second file.
#include "CellTableView.h"
#include "CompareWidget.h"
#include "HeatmapWidget.h"
#include "HistogramWidget.h"
#include "MainWindow.h"
#include "SpectrumWidget.h"
#include "TensorView.h"
#include "TestUtil.h"

#include <QLineEdit>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

using namespace ws;

class TestAnalysisWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void histogramKeyboardAndCompare();
};

void TestAnalysisWindow::histogramKeyboardAndCompare() {
    const QString path = wstest::fixture(QStringLiteral("pytorch/mlp_state_dict.pt"));
    if (!QFile::exists(path)) QSKIP("fixture pytorch/mlp_state_dict.pt not generated");
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

QTEST_MAIN(TestAnalysisWindow)
#include "tst_analysiswindow.moc"
