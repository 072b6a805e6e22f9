// `weightscope export --complex PART`: a complex tensor's figure of its magnitude is
// the figure of numpy's np.abs of it, pixel for pixel; misuse is refused.
#include "TestUtil.h"

#include <QImage>
#include <QTemporaryDir>

class TestComplexExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void partFigureEqualsNumpysPart_data();
    void partFigureEqualsNumpysPart();
    void refusals();
};

void TestComplexExport::partFigureEqualsNumpysPart_data() {
    QTest::addColumn<QString>("part");
    QTest::addColumn<QString>("numpy");
    QTest::addColumn<QString>("range");
    QTest::newRow("abs") << QStringLiteral("abs") << QStringLiteral("np.abs")
                         << QStringLiteral("0:2.5");
    QTest::newRow("angle") << QStringLiteral("angle") << QStringLiteral("np.angle")
                           << QStringLiteral("-3.2:3.2");
    QTest::newRow("imag") << QStringLiteral("imag") << QStringLiteral("np.imag")
                          << QStringLiteral("-2:2");
}

void TestComplexExport::partFigureEqualsNumpysPart() {
    QFETCH(QString, part);
    QFETCH(QString, numpy);
    QFETCH(QString, range);
    QTemporaryDir dir;
    // numpy's part, saved under the same tensor name in another folder
    const QString complexFile = wstest::fixture(QStringLiteral("numpy/dtype_c8.npy"));
    QDir(dir.path()).mkdir(QStringLiteral("np"));
    const QString realFile = dir.filePath(QStringLiteral("np/dtype_c8.npy"));
    QString out;
    QCOMPARE(wstest::runPython({QStringLiteral("-c"),
                                QStringLiteral("import sys, numpy as np\n"
                                               "a = np.load(sys.argv[1]).astype(np.complex128)\n"
                                               "np.save(sys.argv[2], %1(a))\n")
                                    .arg(numpy),
                                complexFile, realFile},
                               &out),
             0);
    const QString ours = dir.filePath(QStringLiteral("ours.png"));
    const QString theirs = dir.filePath(QStringLiteral("theirs.png"));
    const QStringList common = {QStringLiteral("--range"), range,
                                QStringLiteral("--title"), QString(),
                                QStringLiteral("--size"),  QStringLiteral("300x200")};
    wstest::RunResult r = wstest::runWeightscope(
        QStringList{QStringLiteral("export"), complexFile, QStringLiteral("dtype_c8"),
                    QStringLiteral("--complex"), part, QStringLiteral("-o"), ours} +
        common);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = wstest::runWeightscope(QStringList{QStringLiteral("export"), realFile,
                                           QStringLiteral("dtype_c8"), QStringLiteral("-o"),
                                           theirs} +
                               common);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QImage a(ours), b(theirs);
    QCOMPARE(a.size(), QSize(300, 200));
    QVERIFY(a == b);
    // and the real part (the default) is another picture
    const QString real = dir.filePath(QStringLiteral("real.png"));
    r = wstest::runWeightscope(QStringList{QStringLiteral("export"), complexFile,
                                           QStringLiteral("dtype_c8"), QStringLiteral("-o"), real} +
                               common);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(QImage(real) != a);
}

void TestComplexExport::refusals() {
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("x.png"));
    wstest::RunResult r = wstest::runWeightscope(
        {QStringLiteral("export"), wstest::fixture(QStringLiteral("numpy/dtype_f4.npy")),
         QStringLiteral("dtype_f4"), QStringLiteral("--complex"), QStringLiteral("abs"),
         QStringLiteral("-o"), png});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("--complex: tensor 'dtype_f4' is float32, not complex")),
             qPrintable(r.err));
    QVERIFY(!QFile::exists(png));
    r = wstest::runWeightscope(
        {QStringLiteral("export"), wstest::fixture(QStringLiteral("numpy/dtype_c8.npy")),
         QStringLiteral("dtype_c8"), QStringLiteral("--complex"), QStringLiteral("abs"),
         QStringLiteral("-o"), dir.filePath(QStringLiteral("x.npy"))});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QStringLiteral(".npy keeps the exact complex values")),
             qPrintable(r.err));
    r = wstest::runWeightscope({QStringLiteral("export"),
                                wstest::fixture(QStringLiteral("numpy/dtype_c8.npy")),
                                QStringLiteral("dtype_c8"), QStringLiteral("--complex"),
                                QStringLiteral("modulus"), QStringLiteral("-o"), png});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QStringLiteral("unknown --complex 'modulus'")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestComplexExport)
#include "tst_complexexport.moc"
