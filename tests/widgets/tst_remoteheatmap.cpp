// The heatmap of a large tensor on a server: it shows a preview (one row in fr) and reads
// nothing more until the user asks; small views (zoomed in) are read in full; the note
// on the plot offers the whole read, and a click on it (or fetchWhole()) reads it all.
// A source standing in for a remote tensor counts every cell it is asked for.
#include "HeatmapWidget.h"

#include <QSignalSpy>
#include <QtTest>
#include <atomic>
#include <cmath>

using namespace ws;

namespace {

constexpr int64_t kRows = 8192, kCols = 1024; // 8.4 M cells: beyond kSyncElements

float valueAt(int64_t r, int64_t c) {
    return float((r * 31 + c * 7) % 2001) * 0.001f - 1.0f; // -1 ... 1
}

class CountingSource : public MatrixSource {
public:
    explicit CountingSource(bool remote) : MatrixSource(kRows, kCols), m_remote(remote) {}
    const float* tile(int64_t row0, int64_t nRows, int64_t col0, int64_t nCols,
                      std::vector<float>* buffer, int64_t* stride, QString*) const override {
        buffer->resize(size_t(nRows * nCols));
        for (int64_t r = 0; r < nRows; ++r)
            for (int64_t c = 0; c < nCols; ++c)
                (*buffer)[size_t(r * nCols + c)] = valueAt(row0 + r, col0 + c);
        m_cells += nRows * nCols;
        *stride = nCols;
        return buffer->data();
    }
    int64_t tileLimit() const override { return int64_t(1) << 18; }
    QString cacheKey() const override { return m_key; }
    int64_t remoteBytes() const override { return m_remote ? kRows * kCols * 2 : 0; }
    int64_t cells() const { return m_cells; }

private:
    bool m_remote;
    QString m_key = QStringLiteral("counting-%1").arg(quintptr(this));
    mutable std::atomic<int64_t> m_cells{0};
};

QCPItemText* noteItem(HeatmapWidget& w) {
    for (int i = 0; i < w.itemCount(); ++i)
        if (auto* t = qobject_cast<QCPItemText*>(w.item(i)); t && t->visible()) return t;
    return nullptr;
}

} // namespace

class TestRemoteHeatmap : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { HeatmapWidget::setRemoteFetchLimit(int64_t(1) << 20); }
    void cleanupTestCase() { HeatmapWidget::setRemoteFetchLimit(int64_t(64) << 20); }

    void previewOnlyUntilAsked() {
        HeatmapWidget w;
        w.resize(700, 500);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto source = std::make_shared<CountingSource>(true);
        QString error;
        QVERIFY2(w.setSource(source, nullptr, &error), qPrintable(error));
        // A preview of one row in fr (read on a worker), offered to be read whole; no
        // background read of the rest.
        QVERIFY(w.awaitsWholeFetch());
        QTRY_VERIFY(w.grid().values.size() > 0);
        QVERIFY2(w.statusNote().startsWith("preview: 1 row in "), qPrintable(w.statusNote()));
        const QString all = QLocale().formattedDataSize(kRows * kCols * 2);
        QVERIFY2(w.statusNote().endsWith("click to read all " + all), qPrintable(w.statusNote()));
        const int64_t previewCells = source->cells();
        QVERIFY(previewCells > 0);
        QVERIFY2(previewCells <= kRows * kCols / 8, qPrintable(QString::number(previewCells)));
        QTest::qWait(300);
        QVERIFY(!w.isRefining());
        QCOMPARE(source->cells(), previewCells);
        QVERIFY(!w.rangeIsExact());
        // The preview's cells are values of rows it read.
        const PooledGrid& g = w.grid();
        QVERIFY(g.values.rows() > 0 && g.values.cols() > 0);
        const int64_t fr = g.rowCount / g.values.rows();
        QVERIFY(fr >= 8);
        for (int r = 0; r < g.values.rows(); r += 17) {
            float best = 0;
            for (int64_t c = 0; c < g.colCount / g.values.cols(); ++c)
                if (std::fabs(valueAt(r * fr, c)) > std::fabs(best)) best = valueAt(r * fr, c);
            QCOMPARE(g.values(r, 0), best);
        }

        // Zoomed in to 40 x 60 cells (a few kilobytes): read in full, values exact.
        QSignalSpy refined(&w, &HeatmapWidget::refined);
        w.xAxis->setRange(99.5, 159.5);
        w.yAxis->setRange(4999.5, 5039.5);
        w.updateGrid();
        QVERIFY(refined.count() == 1 || refined.wait(5000));
        QVERIFY(w.grid().exact);
        QCOMPARE(w.grid().values(0, 0), valueAt(w.grid().rowStart, w.grid().colStart));
        QVERIFY2(source->cells() < previewCells + 4 * 256 * 256,
                 qPrintable(QString::number(source->cells())));
        QVERIFY(w.awaitsWholeFetch());
        QCOMPARE(w.statusNote(), "colours from a preview · click to read all " + all);
        QVERIFY(!w.rangeIsExact());

        // Back to the whole matrix: a preview again, still nothing read whole.
        const int64_t before = source->cells();
        w.resetView();
        w.updateGrid();
        QVERIFY(w.statusNote().startsWith("preview: 1 row in "));
        QTRY_COMPARE(w.grid().rowCount, kRows);
        QVERIFY(source->cells() - before <= kRows * kCols / 8);

        // A click on the note reads everything: the exact range, no note left.
        QCPItemText* note = noteItem(w);
        QVERIFY(note);
        const QPointF centre =
            (note->topLeft->pixelPosition() + note->bottomRight->pixelPosition()) / 2;
        QSignalSpy asked(&w, &HeatmapWidget::wholeFetchRequested);
        QTest::mouseClick(&w, Qt::LeftButton, Qt::NoModifier, centre.toPoint());
        QCOMPARE(asked.count(), 1);
        QVERIFY(!w.awaitsWholeFetch());
        QTRY_VERIFY_WITH_TIMEOUT(w.rangeIsExact(), 20000);
        QVERIFY(source->cells() >= kRows * kCols);
        QTRY_COMPARE(w.statusNote(), QString());
        const QCPRange range = w.colorRange();
        QCOMPARE(range.lower, -1.0);
        QCOMPARE(range.upper, 1.0);
    }

    // The same matrix read from a local file is refined in the background as always.
    void localSourceIsRefinedWhole() {
        HeatmapWidget w;
        w.resize(700, 500);
        w.show();
        auto source = std::make_shared<CountingSource>(false);
        QSignalSpy refined(&w, &HeatmapWidget::refined);
        QString error;
        QVERIFY(w.setSource(source, nullptr, &error));
        QVERIFY(!w.awaitsWholeFetch());
        QVERIFY(refined.wait(20000));
        QVERIFY(w.rangeIsExact());
        QVERIFY(source->cells() >= kRows * kCols);
        QCOMPARE(w.statusNote(), QString());
    }

    // Under the limit a remote source is read whole on its own.
    void smallRemoteSourceIsReadWhole() {
        HeatmapWidget::setRemoteFetchLimit(int64_t(32) << 20);
        HeatmapWidget w;
        w.resize(700, 500);
        w.show();
        auto source = std::make_shared<CountingSource>(true);
        QSignalSpy refined(&w, &HeatmapWidget::refined);
        QString error;
        QVERIFY(w.setSource(source, nullptr, &error));
        QVERIFY(refined.wait(20000));
        QVERIFY(w.rangeIsExact());
        QVERIFY(!w.awaitsWholeFetch());
    }
};

QTEST_MAIN(TestRemoteHeatmap)
#include "tst_remoteheatmap.moc"
