// Headless export: PNG of exactly the requested size with the heatmap's colours,
// SVG and PDF magic, bar charts and scalars, and clean failures.
#include "ColorMap.h"
#include "FormatRegistry.h"
#include "PlotExport.h"
#include "TestUtil.h"
#include "WeightFile.h"
#include "widgets/MemoryWeightFile.h"

#include <QImage>
#include <QTemporaryDir>
#include <QtTest>

using namespace ws;

class TestPlotExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void pngHasRequestedSize();
    void svgAndPdfMagic_data();
    void svgAndPdfMagic();
    void failsCleanly();
    void streamedExportMatchesLoaded();
    void failureKeepsExistingFile();

private:
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

namespace {

QByteArray head(const QString& path, int n) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.read(n);
}

} // namespace

void TestPlotExport::pngHasRequestedSize() {
    auto file = wstest::smallModel();
    for (int i : {0, 1, 5}) { // heatmap, bar chart, scalar
        const TensorPtr t = file->tensors[size_t(i)];
        ExportOptions o;
        o.pixelSize = QSize(640, 480);
        const QString out = path(QStringLiteral("t%1.png").arg(i));
        QString error;
        QVERIFY2(exportTensorImage(*t, out, o, &error), qPrintable(error));
        QImage image(out);
        QCOMPARE(image.size(), QSize(640, 480));
        QVERIFY(image.pixelColor(5, 5) == QColor(Qt::white)); // not a blank black canvas
    }
    // A heatmap really contains the colours of its extreme values.
    auto t =
        wstest::floatTensor(QStringLiteral("x.weight"), {20, 30}, std::vector<float>(600, -2.0f));
    ExportOptions o;
    o.pixelSize = QSize(1000, 700);
    o.colormap = QStringLiteral("viridis");
    o.hasRange = true;
    o.lo = -2;
    o.hi = 2;
    const QString out = path(QStringLiteral("flat.png"));
    QString error;
    QVERIFY2(exportTensorImage(*t, out, o, &error), qPrintable(error));
    QImage image(out);
    QCOMPARE(image.size(), QSize(1000, 700));
    ColorMap viridis;
    QVERIFY(ColorMap::byName(QStringLiteral("viridis"), &viridis));
    const QColor low = QColor::fromRgb(viridis.colorAt(0));
    int matches = 0;
    for (int y = 0; y < image.height(); y += 10)
        for (int x = 0; x < image.width(); x += 10) {
            const QColor c = image.pixelColor(x, y);
            if (std::abs(c.red() - low.red()) < 6 && std::abs(c.green() - low.green()) < 6 &&
                std::abs(c.blue() - low.blue()) < 6)
                ++matches;
        }
    QVERIFY2(matches > 2000, qPrintable(QString::number(matches))); // most of the plot area
}

void TestPlotExport::svgAndPdfMagic_data() {
    QTest::addColumn<int>("tensor");
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<QByteArray>("magic");
    for (int i : {0, 1, 5}) {
        QTest::addRow("svg %d", i) << i << QStringLiteral("svg") << QByteArray("<?xml");
        QTest::addRow("pdf %d", i) << i << QStringLiteral("pdf") << QByteArray("%PDF-");
    }
}

void TestPlotExport::svgAndPdfMagic() {
    QFETCH(int, tensor);
    QFETCH(QString, suffix);
    QFETCH(QByteArray, magic);
    auto file = wstest::smallModel();
    const QString out = path(QStringLiteral("t%1.%2").arg(tensor).arg(suffix));
    QString error;
    QVERIFY2(exportTensorImage(*file->tensors[size_t(tensor)], out, ExportOptions(), &error),
             qPrintable(error));
    QCOMPARE(head(out, magic.size()), magic);
    QVERIFY(QFileInfo(out).size() > 500);
    if (suffix == QLatin1String("svg"))
        QVERIFY(head(out, 100000).contains(file->tensors[size_t(tensor)]->name.toUtf8()));
}

void TestPlotExport::failsCleanly() {
    auto file = wstest::smallModel();
    const Tensor& t = *file->tensors[0];
    QString error;
    QVERIFY(
        !exportTensorImage(t, QStringLiteral("/nonexistent/dir/x.png"), ExportOptions(), &error));
    QVERIFY2(error.contains(QStringLiteral("/nonexistent/dir/x.png")), qPrintable(error));
    error.clear();
    QVERIFY(!exportTensorImage(t, path(QStringLiteral("x.bmp")), ExportOptions(), &error));
    QVERIFY(error.contains(QStringLiteral("bmp")));
    ExportOptions bad;
    bad.colormap = QStringLiteral("rainbowish");
    error.clear();
    QVERIFY(!exportTensorImage(t, path(QStringLiteral("y.png")), bad, &error));
    QVERIFY2(error.contains(QStringLiteral("rainbowish")), qPrintable(error));
    QVERIFY(!QFile::exists(path(QStringLiteral("y.png"))));
    auto broken = wstest::floatTensor(QStringLiteral("broken"), {50, 50}, {1.0f});
    error.clear();
    QVERIFY(!exportTensorImage(*broken, path(QStringLiteral("z.png")), ExportOptions(), &error));
    QVERIFY2(error.contains(QStringLiteral("broken")), qPrintable(error));
}

void TestPlotExport::streamedExportMatchesLoaded() {
    // A float32 matrix still on disk is pooled straight from the file; once loaded,
    // from memory. The pictures must be the same, pixel for pixel.
    const QString sample = wstest::env("WS_SAMPLES") + QStringLiteral("/sample_model.pt");
    QString error;
    auto file = openWeightFile(sample, &error);
    QVERIFY2(file, qPrintable(error));
    TensorPtr biggest;
    for (const TensorPtr& t : file->tensors)
        if (t->rank() == 2 && t->dtype == DType::Float32 &&
            (!biggest || t->numel() > biggest->numel()))
            biggest = t;
    QVERIFY(biggest);
    QVERIFY(!biggest->storage->isLoaded());
    ExportOptions o;
    o.pixelSize = QSize(900, 600);
    const QString streamed = path(QStringLiteral("streamed.png"));
    QVERIFY2(exportTensorImage(*biggest, streamed, o, &error), qPrintable(error));
    QVERIFY(!biggest->storage->isLoaded()); // streamed: never loaded
    QVERIFY(biggest->check(&error));
    const QString loaded = path(QStringLiteral("loaded.png"));
    QVERIFY2(exportTensorImage(*biggest, loaded, o, &error), qPrintable(error));
    const QImage a(streamed), b(loaded);
    QCOMPARE(a.size(), QSize(900, 600));
    QVERIFY(a == b);
    QVERIFY(a.text(QStringLiteral("Title")) == biggest->name);
}

void TestPlotExport::failureKeepsExistingFile() {
    // An export that fails (here: the tensor's record is shorter than its shape)
    // leaves a file already at the destination as it was.
    const QString out = path(QStringLiteral("keep.png"));
    {
        QFile f(out);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious");
    }
    auto broken = wstest::floatTensor(QStringLiteral("broken"), {50, 50}, {1.0f});
    QString error;
    QVERIFY(!exportTensorImage(*broken, out, ExportOptions(), &error));
    QFile f(out);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("precious"));
    // A directory that does not exist is named.
    error.clear();
    QVERIFY(!exportTensorImage(*wstest::smallModel()->tensors[0],
                               path(QStringLiteral("missing/x.svg")), ExportOptions(), &error));
    QVERIFY2(error.contains(QLatin1String("no such directory")), qPrintable(error));
}

QTEST_MAIN(TestPlotExport)
#include "tst_plotexport.moc"
