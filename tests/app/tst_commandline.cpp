// The weightscope command line, run as a process (WS_BINARY) on the fixtures:
// info --json against the generators' expectations, --stats against numpy,
// export against the fixtures' .npy values, images by their size and magic,
// the analysis options of export (--dpi, --scale, --percentile, --diff, indexing),
// and exit codes with their one-line messages.
#include "FormatRegistry.h"
#include "TestUtil.h"

#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <cmath>
#include <tuple>

namespace {

using Result = wstest::RunResult;

Result run(const QStringList& args) {
    return wstest::runWeightscope(args);
}

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Fixtures with a <f>.expected/expected.json, and the format id they must report.
struct Fixture {
    QString rel, format;
};

QList<Fixture> fixtures() {
    QList<Fixture> list;
    for (const char* f :
         {"safetensors/mlp.safetensors", "safetensors/dtypes.safetensors",
          "safetensors/empty.safetensors", "safetensors/sharded/model.safetensors.index.json"})
        list.append({QLatin1String(f), QStringLiteral("safetensors")});
    for (const char* f : {"pytorch/mlp_state_dict.pt", "pytorch/views_shared.pt",
                          "pytorch/dtypes.pt", "pytorch/legacy.pt", "pytorch/whole_module.pt"})
        if (QFile::exists(wstest::fixture(QLatin1String(f))))
            list.append({QLatin1String(f), QStringLiteral("pytorch")});
    return list;
}

bool close(double a, double b) {
    return std::abs(a - b) <= 1e-12 + 1e-9 * std::max(std::abs(a), std::abs(b));
}

QString oneLine(const QString& s) {
    return s.trimmed();
}

} // namespace

class TstCommandLine : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QFile::exists(wstest::env("WS_BINARY")), "WS_BINARY not built");
    }

    void infoJson_data() {
        QTest::addColumn<QString>("rel");
        QTest::addColumn<QString>("format");
        for (const Fixture& f : fixtures())
            QTest::newRow(qPrintable(f.rel)) << f.rel << f.format;
    }

    void infoJson() {
        QFETCH(QString, rel);
        QFETCH(QString, format);
        const QString path = wstest::fixture(rel);
        const QJsonObject expected = readJson(path + QStringLiteral(".expected/expected.json"));
        QVERIFY(!expected.isEmpty());
        const Result r = run({QStringLiteral("info"), path, QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &perr);
        QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
        const QJsonObject o = doc.object();
        QCOMPARE(o.value(QLatin1String("format")).toString(), format);
        // Keys in the documented order.
        QVERIFY(r.out.indexOf(QLatin1String("\"format\"")) <
                r.out.indexOf(QLatin1String("\"tensors\"")));
        QVERIFY(r.out.indexOf(QLatin1String("\"tensors\"")) <
                r.out.indexOf(QLatin1String("\"layers\"")));
        const QJsonArray want = expected.value(QLatin1String("tensors")).toArray();
        const QJsonArray got = o.value(QLatin1String("tensors")).toArray();
        QCOMPARE(got.size(), want.size());
        for (int i = 0; i < want.size(); ++i) {
            const QJsonObject w = want[i].toObject(), g = got[i].toObject();
            QCOMPARE(g.value(QLatin1String("name")).toString(),
                     w.value(QLatin1String("name")).toString());
            QCOMPARE(g.value(QLatin1String("shape")).toArray(),
                     w.value(QLatin1String("shape")).toArray());
            QCOMPARE(g.value(QLatin1String("dtype")).toString(),
                     w.value(QLatin1String("dtype")).toString());
            qint64 numel = 1;
            for (const auto& d : w.value(QLatin1String("shape")).toArray())
                numel *= d.toInteger();
            QCOMPARE(g.value(QLatin1String("numel")).toInteger(), numel);
            QVERIFY(!g.contains(QLatin1String("min"))); // only with --stats
        }
        const QJsonObject meta = expected.value(QLatin1String("metadata")).toObject();
        if (format == QLatin1String("safetensors")) {
            QCOMPARE(o.value(QLatin1String("metadata")).toObject(), meta);
            QCOMPARE(o.contains(QLatin1String("metadata")), !meta.isEmpty());
        }
        const QJsonArray layers = o.value(QLatin1String("layers")).toArray();
        for (const auto& wl : expected.value(QLatin1String("layers")).toArray()) {
            const QJsonObject w = wl.toObject();
            bool found = false;
            for (const auto& gl : layers) {
                const QJsonObject g = gl.toObject();
                if (g.value(QLatin1String("path")) != w.value(QLatin1String("path"))) continue;
                found = true;
                QCOMPARE(g.value(QLatin1String("tensors")).toArray(),
                         w.value(QLatin1String("tensors")).toArray());
                QVERIFY(!g.value(QLatin1String("kind")).toString().isEmpty());
            }
            QVERIFY2(found, qPrintable(w.value(QLatin1String("path")).toString()));
        }
        const QJsonArray modules = expected.value(QLatin1String("modules")).toArray();
        for (const auto& m : modules) { // whole-module pickles: class names as layer kinds
            const QJsonObject mo = m.toObject();
            const QString p = mo.value(QLatin1String("path")).toString();
            for (const auto& gl : layers)
                if (gl.toObject().value(QLatin1String("path")).toString() == p)
                    QCOMPARE(gl.toObject().value(QLatin1String("kind")).toString(),
                             mo.value(QLatin1String("class")).toString());
        }
    }

    void infoText() {
        const Result r = run({QStringLiteral("info"),
                              wstest::fixture(QStringLiteral("safetensors/mlp.safetensors"))});
        QCOMPARE(r.code, 0);
        QVERIFY(r.err.isEmpty());
        QVERIFY(r.out.contains(QLatin1String("safetensors")));
        QVERIFY(r.out.contains(QLatin1String("133")));
        QVERIFY(r.out.contains(QRegularExpression(
            QStringLiteral("layers\\.0\\.fc\\.weight\\s+\\[6, 4\\]\\s+float32\\s+24"))));
        QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("\\n\\s+fc\\s+Linear"))));
    }

    void infoStats_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("mlp") << QStringLiteral("safetensors/mlp.safetensors");
        QTest::newRow("dtypes") << QStringLiteral("safetensors/dtypes.safetensors");
        QTest::newRow("sharded") << QStringLiteral(
            "safetensors/sharded/model.safetensors.index.json");
    }

    void infoStats() {
        QFETCH(QString, rel);
        const QString path = wstest::fixture(rel);
        const QJsonObject expected = readJson(path + QStringLiteral(".expected/expected.json"));
        const Result r = run(
            {QStringLiteral("info"), path, QStringLiteral("--json"), QStringLiteral("--stats")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonArray got = QJsonDocument::fromJson(r.out.toUtf8())
                                   .object()
                                   .value(QLatin1String("tensors"))
                                   .toArray();
        const QJsonArray want = expected.value(QLatin1String("tensors")).toArray();
        QCOMPARE(got.size(), want.size());
        int compared = 0;
        for (int i = 0; i < want.size(); ++i) {
            const QJsonObject g = got[i].toObject();
            for (const char* k : {"min", "max", "mean", "std"})
                QVERIFY(g.contains(QLatin1String(k)));
            const QJsonValue stats = want[i].toObject().value(QLatin1String("stats"));
            if (!stats.isObject()) continue; // empty, or NaN/inf (not JSON)
            for (const char* k : {"min", "max", "mean", "std"}) {
                const double a = g.value(QLatin1String(k)).toDouble();
                const double b = stats.toObject().value(QLatin1String(k)).toDouble();
                QVERIFY2(close(a, b), qPrintable(QStringLiteral("%1 %2: %3 vs numpy %4")
                                                     .arg(g.value(QLatin1String("name")).toString(),
                                                          QLatin1String(k))
                                                     .arg(a, 0, 'g', 17)
                                                     .arg(b, 0, 'g', 17)));
            }
            ++compared;
        }
        QVERIFY(compared > 0);
        if (rel.contains(QLatin1String("dtypes"))) { // f8_e5m2 holds inf and nan: null
            for (const auto& v : got)
                if (v.toObject().value(QLatin1String("name")) == QLatin1String("f8_e5m2"))
                    QVERIFY(v.toObject().value(QLatin1String("mean")).isNull());
        }
    }

    void exportNpy_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("dtypes") << QStringLiteral("safetensors/dtypes.safetensors");
        QTest::newRow("sharded") << QStringLiteral(
            "safetensors/sharded/model.safetensors.index.json");
        for (const char* f : {"pytorch/views_shared.pt", "pytorch/dtypes.pt", "pytorch/legacy.pt"})
            if (QFile::exists(wstest::fixture(QLatin1String(f))))
                QTest::newRow(f) << QString::fromLatin1(f);
    }

    void exportNpy() {
        QFETCH(QString, rel);
        const QString path = wstest::fixture(rel);
        const QJsonObject expected = readJson(path + QStringLiteral(".expected/expected.json"));
        const QJsonArray want = expected.value(QLatin1String("tensors")).toArray();
        QVERIFY(!want.isEmpty());
        for (const auto& wv : want) {
            const QJsonObject w = wv.toObject();
            const QString name = w.value(QLatin1String("name")).toString();
            const QString out = m_tmp.filePath(QStringLiteral("t.npy"));
            QFile::remove(out);
            const Result r = run({QStringLiteral("export"), path, name, QStringLiteral("-o"), out});
            QVERIFY2(r.code == 0, qPrintable(name + QLatin1String(": ") + r.err));
            wstest::Npy exp;
            QVERIFY(wstest::readNpy(path + QStringLiteral(".expected/") +
                                        w.value(QLatin1String("npy")).toString(),
                                    &exp));
            if (w.value(QLatin1String("dtype")) == QLatin1String("complex64")) {
                QString pyOut; // numpy itself: real parts equal the expected values
                QCOMPARE(wstest::runPython({QStringLiteral("-c"),
                                            QStringLiteral("import numpy as np,sys; a=np.load(sys."
                                                           "argv[1]); e=np.load(sys.argv[2]); "
                                                           "print(a.dtype.str, "
                                                           "bool((a.real==e).all()))"),
                                            out,
                                            path + QStringLiteral(".expected/") +
                                                w.value(QLatin1String("npy")).toString()},
                                           &pyOut),
                         0);
                QCOMPARE(pyOut.trimmed(), QStringLiteral("<c8 True"));
                continue;
            }
            wstest::Npy got;
            QVERIFY2(wstest::readNpy(out, &got), qPrintable(name));
            QCOMPARE(got.shape, exp.shape);
            QCOMPARE(got.values.size(), exp.values.size());
            for (size_t k = 0; k < got.values.size(); ++k)
                QVERIFY2(got.values[k] == exp.values[k] ||
                             (std::isnan(got.values[k]) && std::isnan(exp.values[k])),
                         qPrintable(QStringLiteral("%1[%2]").arg(name).arg(k)));
            const QString dtype = w.value(QLatin1String("dtype")).toString();
            if (dtype != QLatin1String("bfloat16") && !dtype.startsWith(QLatin1String("float8")))
                QCOMPARE(got.descr, exp.descr); // original dtype kept
        }
    }

    void exportCsv() {
        const QString path = wstest::fixture(QStringLiteral("safetensors/mlp.safetensors"));
        const QString out = m_tmp.filePath(QStringLiteral("w.csv"));
        const Result r = run({QStringLiteral("export"), path, QStringLiteral("layers.1.fc.weight"),
                              QStringLiteral("-o"), out});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        wstest::Npy exp;
        QVERIFY(wstest::readNpy(path + QStringLiteral(".expected/3.npy"), &exp));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 5);
        size_t k = 0;
        for (const QByteArray& line : lines) {
            const QList<QByteArray> cells = line.split(',');
            QCOMPARE(cells.size(), 6);
            for (const QByteArray& c : cells)
                QCOMPARE(double(c.toFloat()), exp.values[k++]);
        }
    }

    void exportImages() {
        const QString path = wstest::fixture(QStringLiteral("safetensors/mlp.safetensors"));
        const QString png = m_tmp.filePath(QStringLiteral("w.png"));
        Result r = run(
            {QStringLiteral("export"), path, QStringLiteral("embed.weight"), QStringLiteral("-o"),
             png, QStringLiteral("--size"), QStringLiteral("640x480"), QStringLiteral("--colormap"),
             QStringLiteral("viridis"), QStringLiteral("--range"), QStringLiteral("-1:1")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QImage img(png);
        QVERIFY(!img.isNull());
        QCOMPARE(img.size(), QSize(640, 480));
        const QString svg = m_tmp.filePath(QStringLiteral("w.svg"));
        r = run({QStringLiteral("export"), path, QStringLiteral("head.bias"), QStringLiteral("-o"),
                 svg});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile s(svg);
        QVERIFY(s.open(QIODevice::ReadOnly));
        QVERIFY(s.readAll().contains("<svg"));
        const QString pdf = m_tmp.filePath(QStringLiteral("w.pdf"));
        r = run({QStringLiteral("export"),
                 wstest::fixture(QStringLiteral("safetensors/dtypes.safetensors")),
                 QStringLiteral("1.weird/name:x"), QStringLiteral("-o"), pdf});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile p(pdf);
        QVERIFY(p.open(QIODevice::ReadOnly));
        QVERIFY(p.read(5) == "%PDF-");
    }

    void exportAnalysisOptions() {
        // --size is exact; --dpi sets the PNG's physical resolution.
        const QString m = wstest::fixture(QStringLiteral("analysis/matrix.npy"));
        auto image = [&](const QStringList& extra, const QString& name) {
            const QString out = m_tmp.filePath(name);
            const Result r = run(QStringList{QStringLiteral("export"), m, QStringLiteral("matrix"),
                                             QStringLiteral("-o"), out, QStringLiteral("--size"),
                                             QStringLiteral("333x222")} +
                                 extra);
            if (r.code != 0) qWarning("%s", qPrintable(r.err));
            return QImage(out);
        };
        const QImage linear =
            image({QStringLiteral("--dpi"), QStringLiteral("300")}, QStringLiteral("lin.png"));
        QCOMPARE(linear.size(), QSize(333, 222));
        QVERIFY(std::abs(linear.dotsPerMeterX() - 300 / 0.0254) <= 1);
        QVERIFY(std::abs(linear.dotsPerMeterY() - 300 / 0.0254) <= 1);
        // Other scales and percentile ranges change the pixels.
        const QImage symlog =
            image({QStringLiteral("--scale"), QStringLiteral("symlog")}, QStringLiteral("sym.png"));
        const QImage sqrt =
            image({QStringLiteral("--scale"), QStringLiteral("sqrt")}, QStringLiteral("sqrt.png"));
        const QImage pct = image({QStringLiteral("--percentile"), QStringLiteral("5:95")},
                                 QStringLiteral("pct.png"));
        for (const QImage& other : {symlog, sqrt, pct}) {
            QCOMPARE(other.size(), QSize(333, 222));
            QVERIFY(other.convertToFormat(QImage::Format_RGB32) !=
                    linear.convertToFormat(QImage::Format_RGB32));
        }
        QVERIFY(symlog != sqrt);
        const QString pdf = m_tmp.filePath(QStringLiteral("m.pdf"));
        Result r = run({QStringLiteral("export"), m, QStringLiteral("matrix"), QStringLiteral("-o"),
                        pdf, QStringLiteral("--dpi"), QStringLiteral("300"),
                        QStringLiteral("--title"), QStringLiteral("Layer 3")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(pdf);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        // --dpi is the resolution of rasters, not the page size: the default figure is
        // matplotlib's 6.4 x 4.8 in (460.8 x 345.6 pt; Qt writes whole points).
        const QRegularExpressionMatch box =
            QRegularExpression(QStringLiteral("/MediaBox \\[0 0 ([0-9.]+) ([0-9.]+)\\]"))
                .match(QString::fromLatin1(bytes));
        QVERIFY(box.hasMatch());
        QVERIFY(std::abs(box.captured(1).toDouble() - 460.8) <= 0.5);
        QVERIFY(std::abs(box.captured(2).toDouble() - 345.6) <= 0.5);
        // Bad values are usage errors.
        for (const QStringList& bad :
             {QStringList{"--scale", "cubic"}, QStringList{"--percentile", "99:1"},
              QStringList{"--dpi", "0"}, QStringList{"--range", "-1:1", "--percentile", "1:99"}}) {
            r = run(QStringList{QStringLiteral("export"), m, QStringLiteral("matrix"),
                                QStringLiteral("-o"), m_tmp.filePath(QStringLiteral("x.png"))} +
                    bad);
            QCOMPARE(r.code, 1);
        }
    }

    void exportDiffAndIndexing() {
        // --diff: this file's tensor minus the other's, exactly as numpy's a - b.
        const QString a = wstest::fixture(QStringLiteral("analysis/diff_a.npz"));
        const QString b = wstest::fixture(QStringLiteral("analysis/diff_b.npz"));
        for (const auto& [name, expected, descr] :
             {std::tuple<QString, QString, QString>{"w", "analysis/diff_w_ab.npy", "<f4"},
              std::tuple<QString, QString, QString>{"w64", "analysis/diff_w64_ab.npy", "<f8"}}) {
            const QString out = m_tmp.filePath(name + QStringLiteral("_diff.npy"));
            const Result r = run({QStringLiteral("export"), a, name, QStringLiteral("--diff"), b,
                                  QStringLiteral("-o"), out});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            wstest::Npy got, want;
            QVERIFY(wstest::readNpy(out, &got));
            QVERIFY(wstest::readNpy(wstest::fixture(expected), &want));
            QCOMPARE(got.descr, descr);
            QCOMPARE(got.shape, want.shape);
            QCOMPARE(got.values, want.values);
        }
        const QString png = m_tmp.filePath(QStringLiteral("diff.png"));
        Result r =
            run({QStringLiteral("export"), a, QStringLiteral("w"), QStringLiteral("--diff"), b,
                 QStringLiteral("-o"), png, QStringLiteral("--size"), QStringLiteral("300x200")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(QImage(png).size(), QSize(300, 200));
        r = run({QStringLiteral("export"), a, QStringLiteral("w"), QStringLiteral("--diff"),
                 wstest::fixture(QStringLiteral("analysis/matrix.npy")), QStringLiteral("-o"),
                 m_tmp.filePath(QStringLiteral("x.npy"))});
        QCOMPARE(r.code, 2);

        // Indexing: the .npy equals torch's slice of the conv weight.
        const QString pt = wstest::fixture(QStringLiteral("pytorch/whole_module.pt"));
        const QString out = m_tmp.filePath(QStringLiteral("slice.npy"));
        r = run({QStringLiteral("export"), pt, QStringLiteral("6.weight[:, 0, 0:2, 1:]"),
                 QStringLiteral("-o"), out});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        wstest::Npy got, want;
        QVERIFY(wstest::readNpy(out, &got));
        QVERIFY(wstest::readNpy(wstest::fixture(QStringLiteral("analysis/slice_3.npy")), &want));
        QCOMPARE(got.shape, (std::vector<int64_t>{2, 2, 2}));
        QCOMPARE(got.shape, want.shape);
        QCOMPARE(got.values, want.values);
        const QString img = m_tmp.filePath(QStringLiteral("slice.png"));
        r = run({QStringLiteral("export"), pt, QStringLiteral("6.weight[0, 0]"),
                 QStringLiteral("-o"), img, QStringLiteral("--size"), QStringLiteral("320x240")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(QImage(img).size(), QSize(320, 240));
        r = run({QStringLiteral("export"), pt, QStringLiteral("6.weight[5]"), QStringLiteral("-o"),
                 img});
        QCOMPARE(r.code, 2);
    }

    void exitCodes_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("needle");
        const QString mlp = wstest::fixture(QStringLiteral("safetensors/mlp.safetensors"));
        const QString o = QStringLiteral("-o");
        const QString npy = QStringLiteral("/tmp/ws-never-written.npy");
        QTest::newRow("unknown option") << QStringList{"info", mlp, "--jsn"} << 1 << "--jsn";
        QTest::newRow("info no file") << QStringList{"info"} << 1 << "missing FILE";
        QTest::newRow("export no tensor")
            << QStringList{"export", mlp, o, npy} << 1 << "missing TENSOR";
        QTest::newRow("export no -o") << QStringList{"export", mlp, "head.bias"} << 1 << "-o";
        QTest::newRow("-o no value")
            << QStringList{"export", mlp, "head.bias", o} << 1 << "needs a value";
        QTest::newRow("bad range")
            << QStringList{"export", mlp, "head.bias", o, "/tmp/x.png", "--range", "1:0"} << 1
            << "--range";
        QTest::newRow("bad range text")
            << QStringList{"export", mlp, "head.bias", o, "/tmp/x.png", "--range", "a:b"} << 1
            << "--range";
        QTest::newRow("bad size") << QStringList{"export",     mlp,      "head.bias", o,
                                                 "/tmp/x.png", "--size", "640"}
                                  << 1 << "--size";
        QTest::newRow("bad colormap")
            << QStringList{"export", mlp, "head.bias", o, "/tmp/x.png", "--colormap", "nope"} << 1
            << "colormap";
        QTest::newRow("bad extension")
            << QStringList{"export", mlp, "head.bias", o, "/tmp/x.jpg"} << 1 << ".jpg";
        QTest::newRow("unknown tensor")
            << QStringList{"export", mlp, "head.wieght", o, npy} << 2
            << "unknown tensor 'head.wieght' (did you mean 'head.weight'?)";
        QTest::newRow("missing file")
            << QStringList{"info", "/nonexistent/model.pt"} << 2 << "/nonexistent/model.pt";
        QTest::newRow("missing shard")
            << QStringList{"info", wstest::fixture(QStringLiteral(
                                       "safetensors/missing_shard/model.safetensors.index.json"))}
            << 2 << "missing";
        QTest::newRow("unknown command help")
            << QStringList{"help", "frobnicate"} << 1 << "frobnicate";
    }

    void exitCodes() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, needle);
        const Result r = run(args);
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.startsWith(QLatin1String("weightscope: ")), qPrintable(r.err));
        QVERIFY2(r.err.contains(needle), qPrintable(r.err));
        QCOMPARE(oneLine(r.err).count(QLatin1Char('\n')), 0);
        QVERIFY(r.out.isEmpty());
        QVERIFY(!QFile::exists(QStringLiteral("/tmp/ws-never-written.npy")));
    }

    void hostileFile() {
        const QString path = m_tmp.filePath(QStringLiteral("hostile.safetensors"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        const QByteArray header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4000000000,4000000000],"
                                  "\"data_offsets\":[0,8]}}";
        QByteArray n(8, '\0');
        n[0] = char(header.size());
        f.write(n + header + QByteArray(8, '\0'));
        f.close();
        const Result r = run({QStringLiteral("info"), path});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(path) && r.err.contains(QLatin1String("absurd")),
                 qPrintable(r.err));
    }

    void infoReadsNoTensorBytes() {
        // A sparse 64 GiB file: info must answer from the header alone (reading the
        // bytes would take minutes or fail to allocate).
        const QString path = m_tmp.filePath(QStringLiteral("big.safetensors"));
        const qint64 bytes = qint64(1) << 36;
        QByteArray header = "{\"big\":{\"dtype\":\"F32\",\"shape\":[262144,65536],"
                            "\"data_offsets\":[0," +
                            QByteArray::number(bytes) + "]}}";
        header += QByteArray((8 - header.size() % 8) % 8, ' ');
        QByteArray n(8, '\0');
        for (int i = 0; i < 8; ++i)
            n[i] = char((quint64(header.size()) >> (8 * i)) & 0xff);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(n + header);
        QVERIFY2(f.resize(8 + header.size() + bytes), "a sparse 64 GiB file is needed here");
        f.close();
        const Result r = run({QStringLiteral("info"), path, QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QLatin1String("\"numel\": 17179869184")));
        // The same open in this process: the listing leaves the storage unread.
        QString error;
        auto file = ws::openWeightFile(path, &error);
        QVERIFY2(file, qPrintable(error));
        QCOMPARE(file->tensors.size(), size_t(1));
        QVERIFY(!file->tensors[0]->storage->isLoaded());
        QFile::remove(path);
    }

    void helpAndVersion() {
        Result r = run({QStringLiteral("--version")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith(QLatin1String("weightscope ")));
        for (const QStringList& a :
             {QStringList{"--help"}, QStringList{"help"}, QStringList{"-h"}}) {
            r = run(a);
            QCOMPARE(r.code, 0);
            QVERIFY(r.out.contains(QLatin1String("info")) &&
                    r.out.contains(QLatin1String("export")));
        }
        r = run({QStringLiteral("help"), QStringLiteral("export")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QLatin1String("--colormap")));
        r = run({QStringLiteral("info"), QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QLatin1String("--stats")));
    }
};

QTEST_GUILESS_MAIN(TstCommandLine)
#include "tst_commandline.moc"
