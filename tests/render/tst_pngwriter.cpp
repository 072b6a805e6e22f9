// Our PNG encoder: what it writes decodes to exactly the pixels given, by Qt and
// by Pillow (the real tool), for RGB and RGBA, with the resolution and title kept,
// including images large enough to be deflated in parallel pieces.
#include "PngWriter.h"

#include "TestUtil.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

using namespace ws;

class TestPngWriter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void decodesToTheSamePixels_data();
    void decodesToTheSamePixels();
    void keepsResolutionAndTitle();
    void pillowReadsIt();
    void unwritablePathIsAnError();

private:
    QTemporaryDir m_dir;
};

namespace {

/// Blocks of a few colours plus noise: like a plot, and not trivially compressible.
QImage testImage(int w, int h, bool alpha, quint32 seed) {
    QImage image(w, h, alpha ? QImage::Format_ARGB32 : QImage::Format_RGB32);
    QRandomGenerator rng(seed);
    for (int y = 0; y < h; ++y) {
        auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
        for (int x = 0; x < w; ++x) {
            const quint32 r = rng.generate();
            const int a = alpha ? int(r >> 24) : 255;
            line[x] = (x / 7 + y / 5) % 3 == 0
                          ? qRgba(int(r & 0xff), int((r >> 8) & 0xff), int((r >> 16) & 0xff), a)
                          : qRgba(20 * ((x / 7) % 13), 200, 90, a);
        }
    }
    return image;
}

QByteArray rgbBytes(const QImage& image, bool alpha) {
    const QImage c = image.convertToFormat(alpha ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
    QByteArray out;
    const int rowBytes = c.width() * (alpha ? 4 : 3);
    for (int y = 0; y < c.height(); ++y)
        out.append(reinterpret_cast<const char*>(c.constScanLine(y)), rowBytes);
    return out;
}

} // namespace

void TestPngWriter::decodesToTheSamePixels_data() {
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("h");
    QTest::addColumn<bool>("alpha");
    QTest::newRow("1x1") << 1 << 1 << false;
    QTest::newRow("plot size") << 1200 << 900 << false;
    QTest::newRow("one column, many rows") << 1 << 5000 << false;
    QTest::newRow("parallel pieces") << 2500 << 1700 << false; // > 4M pixels: 4 pieces
    QTest::newRow("alpha") << 333 << 221 << true;
    QTest::newRow("alpha, parallel") << 2100 << 1100 << true;
}

void TestPngWriter::decodesToTheSamePixels() {
    QFETCH(int, w);
    QFETCH(int, h);
    QFETCH(bool, alpha);
    const QImage image = testImage(w, h, alpha, quint32(w * 7 + h));
    const QByteArray png = encodePng(image);
    QVERIFY(png.startsWith("\x89PNG\r\n\x1a\n"));
    QImage back;
    QVERIFY(back.loadFromData(png, "PNG"));
    QCOMPARE(back.size(), image.size());
    QCOMPARE(back.hasAlphaChannel(), alpha);
    QCOMPARE(rgbBytes(back, alpha), rgbBytes(image, alpha));
}

void TestPngWriter::keepsResolutionAndTitle() {
    QImage image = testImage(40, 30, false, 3);
    image.setDotsPerMeterX(11811); // 300 dpi
    image.setDotsPerMeterY(11811);
    const QString path = m_dir.filePath(QStringLiteral("meta.png"));
    QString error;
    QVERIFY2(writePng(image, path, QStringLiteral("encoder.layers.0.weight"), &error),
             qPrintable(error));
    QImage back(path);
    QCOMPARE(back.dotsPerMeterX(), 11811);
    QCOMPARE(back.dotsPerMeterY(), 11811);
    QCOMPARE(back.text(QStringLiteral("Title")), QStringLiteral("encoder.layers.0.weight"));
    QCOMPARE(back.text(QStringLiteral("Software")), QStringLiteral("WeightScope"));
}

void TestPngWriter::pillowReadsIt() {
    // Pillow checks every chunk's CRC and the zlib stream's Adler-32 as it decodes.
    for (const bool alpha : {false, true}) {
        const QImage image = testImage(2300, 1000, alpha, alpha ? 5 : 6);
        const QString path =
            m_dir.filePath(alpha ? QStringLiteral("rgba.png") : QStringLiteral("rgb.png"));
        QString error;
        QVERIFY2(writePng(image, path, QString(), &error), qPrintable(error));
        QString out;
        const int rc = wstest::runPython(
            {QStringLiteral("-c"),
             QStringLiteral(
                 "import sys, hashlib\n"
                 "from PIL import Image\n"
                 "im = Image.open(sys.argv[1]); im.load()\n"
                 "print(im.mode, im.size[0], im.size[1], "
                 "hashlib.sha256(im.tobytes()).hexdigest(), round(im.info['dpi'][0]))\n"),
             path},
            &out);
        QVERIFY2(rc == 0, qPrintable(out));
        const QString expected =
            QStringLiteral("%1 2300 1000 %2 96")
                .arg(alpha ? QStringLiteral("RGBA") : QStringLiteral("RGB"),
                     QString::fromLatin1(QCryptographicHash::hash(rgbBytes(image, alpha),
                                                                  QCryptographicHash::Sha256)
                                             .toHex()));
        QCOMPARE(out.trimmed(), expected);
    }
}

void TestPngWriter::unwritablePathIsAnError() {
    const QString path = m_dir.filePath(QStringLiteral("no/such/dir/x.png"));
    QString error;
    QVERIFY(!writePng(testImage(8, 8, false, 1), path, QString(), &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY(!QFile::exists(path));
}

QTEST_GUILESS_MAIN(TestPngWriter)
#include "tst_pngwriter.moc"
