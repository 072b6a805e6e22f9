// The export dialog and the clipboard (offscreen): a heatmap goes through the figure
// renderer (one image pixel per visible cell, the zoomed region only), no GUI overlay
// (selection, cell cursor) ever reaches an export, sizes convert between units, and
// the pre-filled number fields select their text on focus.
#include "BarChartWidget.h"
#include "ExportDialog.h"
#include "HeatmapWidget.h"
#include "TestUtil.h"
#include "widgets/MemoryWeightFile.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace ws;

namespace {

QString readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromLatin1(f.readAll()) : QString();
}

bool hasImage(const QString& pdf, int w, int h) {
    return pdf.contains(
        QRegularExpression(QStringLiteral("/Width %1\\s*/Height %2\\b").arg(w).arg(h)));
}

} // namespace

class TestExportDialog : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;

    void show(HeatmapWidget* h, int rows, int cols) {
        auto t = wstest::floatTensor(QStringLiteral("fc.weight"), {rows, cols},
                                     wstest::ramp(rows * cols));
        auto m = std::make_shared<MatrixF>();
        QVERIFY(t->values(m.get(), nullptr));
        h->resize(600, 400);
        h->setValues(m, t);
        h->replot();
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void heatmapThroughRenderer() {
        HeatmapWidget h;
        show(&h, 8, 12);
        PlotImageOptions o = plotDefaults(&h);
        QCOMPARE(o.title, h.title());
        o.widthPt = 252;
        o.heightPt = 189;
        const QString pdf = m_dir.filePath(QStringLiteral("h.pdf"));
        QString error;
        QVERIFY2(exportPlot(&h, pdf, o, &error), qPrintable(error));
        const QString bytes = readAll(pdf);
        QVERIFY(bytes.contains(QLatin1String("/MediaBox [0 0 252.000000 189.000000]")));
        QVERIFY(hasImage(bytes, 12, 8)); // one pixel per cell, not a screenshot
        QVERIFY(!bytes.contains(QLatin1String("DCTDecode")));
        // Zoomed in: the figure shows the visible cells, with their real indices.
        h.xAxis->setRange(1.5, 5.5); // columns 2..5
        h.yAxis->setRange(0.5, 3.5); // rows 1..3
        h.replot();
        QVERIFY2(exportPlot(&h, pdf, o, &error), qPrintable(error));
        QVERIFY(hasImage(readAll(pdf), 4, 3));
    }

    void overlaysNeverExported() {
        HeatmapWidget h;
        show(&h, 8, 12);
        PlotImageOptions o = plotDefaults(&h);
        o.widthPt = 216;
        o.heightPt = 162;
        o.dpi = 200;
        QString error;
        const QString clean = m_dir.filePath(QStringLiteral("clean.png"));
        QVERIFY2(exportPlot(&h, clean, o, &error), qPrintable(error));
        const QImage clip = plotImage(&h, 400, 300);
        QCOMPARE(clip.size(), QSize(400, 300));
        h.setSelectionRect(1, 2, 4, 5);
        h.moveCursorTo(3, 3);
        h.setCurrentCell(2, 6);
        h.replot();
        QVERIFY(h.selectionItem()->visible() && h.currentCellItem()->visible());
        const QString marked = m_dir.filePath(QStringLiteral("marked.png"));
        QVERIFY2(exportPlot(&h, marked, o, &error), qPrintable(error));
        QCOMPARE(QImage(marked), QImage(clean));
        QCOMPARE(plotImage(&h, 400, 300), clip);
        QVERIFY(h.selectionItem()->visible()); // the screen keeps them

        // A bar chart's selection is hidden for the export and shown again after.
        auto t = wstest::floatTensor(QStringLiteral("fc.bias"), {10}, wstest::ramp(10));
        auto m = std::make_shared<MatrixF>();
        QVERIFY(t->values(m.get(), nullptr));
        BarChartWidget bars;
        bars.resize(500, 300);
        bars.setValues(m, t);
        bars.replot();
        const QString a = m_dir.filePath(QStringLiteral("bars.png"));
        const QString b = m_dir.filePath(QStringLiteral("bars_sel.png"));
        PlotImageOptions bo = plotDefaults(&bars);
        QVERIFY2(exportPlot(&bars, a, bo, &error), qPrintable(error));
        QVERIFY2(exportPlot(&bars, b, bo, &error), qPrintable(error));
        QCOMPARE(QImage(b), QImage(a)); // the same twice
        bars.setSelectionRange(2, 4);
        bars.replot();
        QVERIFY(bars.selectionItem()->visible());
        QVERIFY2(exportPlot(&bars, b, bo, &error), qPrintable(error));
        QCOMPARE(QImage(b), QImage(a));
        QVERIFY(bars.selectionItem()->visible());
        QCOMPARE(QImage(a).size(), QSize(1920, 1440)); // 6.4 x 4.8 in at 300 dpi
    }

    void unitsConvert() {
        HeatmapWidget h;
        show(&h, 8, 12);
        ExportDialog d(&h);
        const QList<QDoubleSpinBox*> spins = d.findChildren<QDoubleSpinBox*>();
        QVERIFY(spins.size() >= 3);
        QDoubleSpinBox* width = spins[0];
        QDoubleSpinBox* height = spins[1];
        auto* unit = d.findChildren<QComboBox*>().at(0);
        QCOMPARE(width->value(), 6.4); // matplotlib's default, in inches
        QCOMPARE(height->value(), 4.8);
        unit->setCurrentIndex(unit->findData(QStringLiteral("cm")));
        QCOMPARE(width->value(), 16.26);
        QCOMPARE(d.options().widthPt, 460.8); // the size itself is unchanged
        width->setValue(8.89);
        QVERIFY(std::abs(d.options().widthPt - 252) < 1e-9);
        unit->setCurrentIndex(unit->findData(QStringLiteral("px")));
        QCOMPARE(width->value(), 1050.0); // at 300 dpi
        unit->setCurrentIndex(unit->findData(QStringLiteral("pt")));
        QCOMPARE(width->value(), 252.0);
        QCOMPARE(d.options().fontSizePt, 10.0);
        QCOMPARE(d.options().title, h.title());
    }

    void numberFieldsSelectOnFocus() {
        HeatmapWidget h;
        show(&h, 8, 12);
        ExportDialog d(&h);
        d.show();
        d.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&d));
        for (QAbstractSpinBox* spin : d.findChildren<QAbstractSpinBox*>()) {
            auto* edit = spin->findChild<QLineEdit*>();
            QVERIFY(edit);
            edit->deselect();
            spin->setFocus(Qt::MouseFocusReason);
            // The number, without the unit suffix.
            const auto* d = qobject_cast<QDoubleSpinBox*>(spin);
            const auto* i = qobject_cast<QSpinBox*>(spin);
            const QString number = d ? d->cleanText() : i ? i->cleanText() : QString();
            QVERIFY(!number.isEmpty());
            QTRY_COMPARE(edit->selectedText(), number);
        }
    }
};

QTEST_MAIN(TestExportDialog)
#include "tst_exportdialog.moc"
