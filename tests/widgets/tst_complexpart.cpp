// Complex tensors: the real part, imaginary part, magnitude and phase read by
// Tensor::readDoubles/readFloats and chosen above the heatmap, against numpy's
// np.real, np.imag, np.abs and np.angle of the same .npy files.
#include "FormatRegistry.h"
#include "HeatmapWidget.h"
#include "SliceControls.h"
#include "TensorView.h"
#include "TestUtil.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace ws;

namespace {

const ComplexPart kParts[] = {ComplexPart::Real, ComplexPart::Imaginary, ComplexPart::Magnitude,
                              ComplexPart::Phase};

/// numpy's values of each part, in C order, computed in complex128.
QJsonObject numpyParts(const QString& path) {
    const QString script = QStringLiteral(
        "import json, sys, numpy as np\n"
        "a = np.load(sys.argv[1]).astype(np.complex128).ravel()\n"
        "print(json.dumps({'real': np.real(a).tolist(), 'imag': np.imag(a).tolist(),\n"
        "                  'abs': np.abs(a).tolist(), 'angle': np.angle(a).tolist()}))\n");
    QString out;
    if (wstest::runPython({QStringLiteral("-c"), script, path}, &out) != 0) {
        qWarning("%s", qPrintable(out));
        return {};
    }
    return QJsonDocument::fromJson(out.toUtf8()).object();
}

TensorPtr openTensor(const QString& fixture) {
    QString err;
    auto file = openWeightFile(wstest::fixture(fixture), &err);
    if (!file || file->tensors.size() != 1) return nullptr;
    return file->tensors.front();
}

} // namespace

class TestComplexPart : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void partsMatchNumpy_data();
    void partsMatchNumpy();
    void partNames();
    void heatmapShowsTheChosenPart();
    void realTensorsOfferNoChoice();
};

void TestComplexPart::partsMatchNumpy_data() {
    QTest::addColumn<QString>("fixture");
    QTest::newRow("complex64") << QStringLiteral("numpy/dtype_c8.npy");
    QTest::newRow("complex64 big-endian") << QStringLiteral("numpy/be_c8.npy");
}

void TestComplexPart::partsMatchNumpy() {
    QFETCH(QString, fixture);
    const TensorPtr t = openTensor(fixture);
    QVERIFY(t);
    QCOMPARE(t->dtype, DType::Complex64);
    const QJsonObject want = numpyParts(wstest::fixture(fixture));
    QVERIFY(!want.isEmpty());
    for (ComplexPart part : kParts) {
        Tensor view = *t;
        view.complexPart = part;
        std::vector<double> got(size_t(view.numel()));
        std::vector<float> gotF(got.size());
        QString err;
        QVERIFY2(view.readDoubles(0, view.numel(), got.data(), &err), qPrintable(err));
        QVERIFY2(view.readFloats(0, view.numel(), gotF.data(), &err), qPrintable(err));
        const QJsonArray expected = want.value(complexPartName(part)).toArray();
        QCOMPARE(qsizetype(expected.size()), qsizetype(got.size()));
        for (size_t i = 0; i < got.size(); ++i) {
            const double e = expected[qsizetype(i)].toDouble();
            QVERIFY2(std::abs(got[i] - e) <= 1e-15 * std::max(1.0, std::abs(e)),
                     qPrintable(QStringLiteral("%1 %2: %3 vs numpy %4")
                                    .arg(complexPartName(part))
                                    .arg(i)
                                    .arg(got[i], 0, 'g', 17)
                                    .arg(e, 0, 'g', 17)));
            QCOMPARE(gotF[i], float(got[i]));
        }
        // the exact stored value is unaffected by the part shown
        QCOMPARE(view.elementText(0), t->elementText(0));
    }
}

void TestComplexPart::partNames() {
    QCOMPARE(complexPartFromName(QStringLiteral("abs")), ComplexPart::Magnitude);
    QCOMPARE(complexPartFromName(QStringLiteral("Phase")), ComplexPart::Phase);
    QCOMPARE(complexPartFromName(QStringLiteral("imag")), ComplexPart::Imaginary);
    QVERIFY(!complexPartFromName(QStringLiteral("modulus")));
    for (ComplexPart p : kParts)
        QCOMPARE(complexPartFromName(complexPartName(p)), p);
}

void TestComplexPart::heatmapShowsTheChosenPart() {
    const TensorPtr t = openTensor(QStringLiteral("numpy/dtype_c8.npy"));
    QVERIFY(t);
    const QJsonObject want = numpyParts(wstest::fixture(QStringLiteral("numpy/dtype_c8.npy")));
    TensorView view;
    view.resize(800, 600);
    view.show();
    view.setTensor(t);
    QCOMPARE(view.currentWidget(), view.heatmap());
    SliceControls* controls = view.sliceControls();
    QVERIFY(controls->isVisible());
    auto* combo = controls->findChild<QComboBox*>(QStringLiteral("complexPart"));
    QVERIFY(combo && combo->isVisible());
    QCOMPARE(combo->count(), 4);
    QCOMPARE(combo->currentText(), QStringLiteral("Real"));
    QVERIFY2(view.heatmap()->title().contains(QStringLiteral("[Real]")),
             qPrintable(view.heatmap()->title()));
    for (ComplexPart part : kParts) {
        combo->setCurrentIndex(int(part));
        QCOMPARE(controls->spec().part, part);
        const MatrixF m = view.heatmap()->readMatrix();
        QCOMPARE(m.rows(), 2);
        QCOMPARE(m.cols(), 3);
        const QJsonArray expected = want.value(complexPartName(part)).toArray();
        for (int i = 0; i < 6; ++i)
            QCOMPARE(m(i / 3, i % 3), float(expected[i].toDouble()));
        QVERIFY2(
            view.heatmap()->title().contains(QStringLiteral("[%1]").arg(complexPartTitle(part))),
            qPrintable(view.heatmap()->title()));
    }
    // the choice stays for the next complex tensor
    const TensorPtr other = openTensor(QStringLiteral("numpy/be_c8.npy"));
    view.setTensor(other);
    QCOMPARE(controls->spec().part, ComplexPart::Phase);
    QCOMPARE(combo->currentIndex(), int(ComplexPart::Phase));
}

void TestComplexPart::realTensorsOfferNoChoice() {
    const TensorPtr t = openTensor(QStringLiteral("numpy/dtype_f4.npy"));
    QVERIFY(t);
    QVERIFY(t->rank() == 2);
    TensorView view;
    view.resize(800, 600);
    view.show();
    view.setTensor(t);
    QVERIFY(!view.sliceControls()->isVisible());
    QVERIFY(!view.heatmap()->title().contains(QStringLiteral("[Real]")));
    QVERIFY(view.heatmap()->title().startsWith(QStringLiteral("dtype_f4")));
}

QTEST_MAIN(TestComplexPart)
#include "tst_complexpart.moc"
