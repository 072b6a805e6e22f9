// Colour maps and scales against matplotlib (tests/fixtures/make_analysis_fixtures.py):
// colours at positions within +-1 per channel, SymLogNorm, LogNorm of magnitudes and
// PowerNorm(0.5) positions, under/over/NaN colours.
#include "ColorScale.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <cmath>

using namespace ws;

class TestColorScale : public QObject {
    Q_OBJECT

    QJsonObject m_expected;

    void checkPositions(const QString& key, ColorScale::Scale scale) {
        const QJsonObject e = m_expected[key].toObject();
        ColorScale cs;
        cs.scale = scale;
        cs.lo = e["lo"].toDouble();
        cs.hi = e["hi"].toDouble();
        if (e.contains(QStringLiteral("linthresh"))) cs.linearThreshold = e["linthresh"].toDouble();
        const QJsonArray values = e["values"].toArray();
        const QJsonArray positions = e["positions"].toArray();
        QVERIFY(values.size() > 4);
        for (int i = 0; i < values.size(); ++i) {
            const double got = cs.position(values[i].toDouble());
            QVERIFY2(std::abs(got - positions[i].toDouble()) < 1e-9,
                     qPrintable(QStringLiteral("%1 at %2: %3 vs %4")
                                    .arg(key)
                                    .arg(values[i].toDouble())
                                    .arg(got, 0, 'g', 12)
                                    .arg(positions[i].toDouble(), 0, 'g', 12)));
        }
    }

private slots:
    void initTestCase() {
        QFile f(wstest::fixture(QStringLiteral("analysis/expected.json")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        m_expected = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(!m_expected.isEmpty());
    }

    void colorsMatchMatplotlib() {
        const QJsonArray positions = m_expected["colormap_positions"].toArray();
        const QJsonObject colors = m_expected["colors"].toObject();
        QVERIFY(colors.size() >= 7);
        int worst = 0;
        for (const QString& name : colors.keys()) {
            ColorScale cs;
            QVERIFY2(ColorMap::byName(name, &cs.map), qPrintable(name));
            cs.lo = 0;
            cs.hi = 1;
            const QJsonArray want = colors[name].toArray();
            for (int i = 0; i < positions.size(); ++i) {
                const QRgb got = cs.colorOf(positions[i].toDouble());
                const QJsonArray w = want[i].toArray();
                const int d = std::max({std::abs(qRed(got) - w[0].toInt()),
                                        std::abs(qGreen(got) - w[1].toInt()),
                                        std::abs(qBlue(got) - w[2].toInt())});
                worst = std::max(worst, d);
                QVERIFY2(d <= 1, qPrintable(QStringLiteral("%1 at %2: off by %3")
                                                .arg(name)
                                                .arg(positions[i].toDouble())
                                                .arg(d)));
            }
        }
        qInfo("largest channel difference from matplotlib: %d", worst);
    }

    void symlogMatchesMatplotlib() {
        checkPositions(QStringLiteral("symlog"), ColorScale::Scale::SymLog);
    }
    void logMatchesMatplotlib() { checkPositions(QStringLiteral("log"), ColorScale::Scale::Log); }
    void sqrtMatchesPowerNorm() { checkPositions(QStringLiteral("sqrt"), ColorScale::Scale::Sqrt); }

    void linearAndOutOfRange() {
        ColorScale cs;
        QVERIFY(ColorMap::byName(QStringLiteral("gray"), &cs.map));
        cs.lo = -2;
        cs.hi = 2;
        QCOMPARE(cs.position(0), 0.5);
        QCOMPARE(cs.position(2), 1.0);
        QCOMPARE(cs.colorOf(-2), qRgb(0, 0, 0));
        QCOMPARE(cs.colorOf(2), qRgb(255, 255, 255));
        QCOMPARE(cs.colorOf(-2.5), cs.under);
        QCOMPARE(cs.colorOf(2.5), cs.over);
        QCOMPARE(cs.colorOf(std::nan("")), cs.nan);
        QVERIFY(std::isnan(cs.position(std::nan(""))));
    }

    void parsesScaleNames() {
        ColorScale::Scale s;
        QVERIFY(ColorScale::parseScale(QStringLiteral("SymLog"), &s));
        QCOMPARE(s, ColorScale::Scale::SymLog);
        QVERIFY(ColorScale::parseScale(QStringLiteral("sqrt"), &s));
        QCOMPARE(s, ColorScale::Scale::Sqrt);
        QVERIFY(!ColorScale::parseScale(QStringLiteral("cubic"), &s));
        QCOMPARE(ColorScale::scaleNames().size(), 4);
        for (const QString& n : ColorScale::scaleNames())
            QVERIFY(ColorScale::parseScale(n, &s));
    }
};

QTEST_GUILESS_MAIN(TestColorScale)
#include "tst_colorscale.moc"
