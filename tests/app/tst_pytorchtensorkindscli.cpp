// The command line on PyTorch tensors of every kind met in the wild
// (tests/fixtures/realworld/): names with int, dotted and tensor keys in info,
// export, stats and edit; quantized, sparse and complex tensors exported exactly
// (numpy reads the .npy) and refused for editing; damaged tensors listed with their
// reason and their bytes kept on save; a pickle made big by 6 million step counts.
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

namespace {

using Result = wstest::RunResult;

QString rw(const QString& rel) {
    return wstest::fixture(QStringLiteral("realworld/") + rel);
}

Result ws(const QStringList& args) {
    return wstest::runWeightscope(args);
}

// Runs python code (warnings silenced); returns its output, trimmed.
QString py(const QString& code) {
    QString out;
    wstest::runPython({QStringLiteral("-c"), QStringLiteral("import warnings\n"
                                                            "warnings.simplefilter('ignore')\n") +
                                                 code},
                      &out);
    return out.trimmed();
}

/// An exported .npy and the Python expression (over torch and SRC, the checkpoint
/// loaded) whose numpy array it must equal: dtype, shape and every value.
struct Export {
    QString npy, expr;
};

// "OK" when every export equals its expression, checked in one Python run.
QString sameAsTorch(const QString& src, const QList<Export>& exports) {
    QString pairs;
    for (const Export& e : exports)
        pairs += QStringLiteral("(r'%1', %2), ").arg(e.npy, e.expr);
    return py(QStringLiteral("import numpy as np, torch\n"
                             "SRC = torch.load(r'%1')\n"
                             "bad = [n for n, b in [%2] if not (lambda a: a.dtype == b.dtype and "
                             "a.shape == b.shape and (a == b).all())(np.load(n))]\n"
                             "print('OK' if not bad else 'differ: ' + str(bad))")
                  .arg(src, pairs));
}

QJsonObject infoJson(const QString& path) {
    const Result r = ws({QStringLiteral("info"), path, QStringLiteral("--json")});
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

} // namespace

class TestPyTorchTensorKindsCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Names with int keys, dotted keys and tensor keys work everywhere.
    void bracketNames() {
        QTemporaryDir dir;
        const QString adam = rw(QStringLiteral("keys/adam_checkpoint.pt"));
        QStringList names;
        for (const auto& t : infoJson(adam).value(QStringLiteral("tensors")).toArray())
            names << t.toObject().value(QStringLiteral("name")).toString();
        QVERIFY2(names.contains(QStringLiteral("optimizer.state[3].exp_avg")),
                 qPrintable(names.join(' ')));
        // the layer tree keeps state[3] as one node
        const Result info = ws({"info", adam});
        QVERIFY2(info.out.contains(QLatin1String("\n    state[3]")), qPrintable(info.out));

        const QString npy = dir.filePath(QStringLiteral("x.npy"));
        QVERIFY(ws({"export", adam, "optimizer.state[3].exp_avg", "-o", npy}).code == 0);
        QCOMPARE(sameAsTorch(adam, {{npy, "SRC['optimizer']['state'][3]['exp_avg'].numpy()"}}),
                 QStringLiteral("OK"));
        QVERIFY(ws({"export", adam, "optimizer.state[3].exp_avg[1:3]", "-o", npy}).code == 0);
        const Result stats = ws({"stats", adam, "optimizer.state[0].step"});
        QVERIFY2(stats.code == 0 && stats.out.contains(QLatin1String("min")),
                 qPrintable(stats.err));

        const QString out = dir.filePath(QStringLiteral("adam.pt"));
        QStringList exprs = {"optimizer.state[3].exp_avg[0:2] = 0", "optimizer.state[1].step += 1",
                             "model.2.bias = 0.5"};
        Result r = ws(QStringList{"edit", adam, "-o", out} + exprs);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py", QStringList{adam, out} + exprs),
                 QStringLiteral("OK"));

        const QString dotted = rw(QStringLiteral("keys/dotted_keys.pt"));
        exprs = QStringList{"['a.b'].c[1] = 5", "a['b.c'] = 1", "[7] = 2",
                            "7 -= 1",           "x.y *= 3",     "['x.y'][0] = -4"};
        r = ws(QStringList{"edit", dotted, "-o", out} + exprs);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py", QStringList{dotted, out} + exprs),
                 QStringLiteral("OK"));
        QVERIFY(ws({"export", dotted, "['a.b'].c", "-o", npy}).code == 0);

        const QString tkey = rw(QStringLiteral("keys/tensor_key.pt"));
        QVERIFY(ws({"stats", tkey, "[tensor#1].0"}).code == 0);
        r = ws({"edit", tkey, "-o", out, "[tensor#0][1, 1] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py", {tkey, out, "[tensor#0][1, 1] = 3"}),
                 QStringLiteral("OK"));
        // an unknown bracketed name is reported, not guessed
        r = ws({"edit", adam, "-o", out, "optimizer.state[9].exp_avg = 1"});
        QCOMPARE(r.code, 2);
    }

    // Quantized tensors: listed with their type and quantizer, exported dequantized,
    // never edited; saving an edit of another tensor keeps them as they were.
    void quantized() {
        QTemporaryDir dir;
        const QString in = rw(QStringLiteral("quantized/quantized.pt"));
        const Result info = ws({"info", in});
        QVERIFY2(
            info.out.contains(QLatin1String("qint8")) &&
                info.out.contains(QLatin1String("qint8, per-tensor: scale 0.05, zero point -3")) &&
                info.out.contains(QLatin1String("per-channel (axis 1)")),
            qPrintable(info.out));
        const QJsonArray tensors = infoJson(in).value(QStringLiteral("tensors")).toArray();
        QCOMPARE(tensors[1].toObject().value(QStringLiteral("dtype")).toString(),
                 QStringLiteral("quint8"));
        QList<Export> exports;
        for (const char* name :
             {"per_tensor_qint8", "per_tensor_quint8", "per_tensor_qint32",
              "per_channel_qint8_axis0", "per_channel_qint8_axis1", "per_channel_quint8_axis1"}) {
            const QString npy = dir.filePath(QString::fromLatin1(name) + QStringLiteral(".npy"));
            QVERIFY(ws({"export", in, QString::fromLatin1(name), "-o", npy}).code == 0);
            exports.push_back({npy, QStringLiteral("SRC['%1'].dequantize().numpy()").arg(name)});
        }
        QCOMPARE(sameAsTorch(in, exports), QStringLiteral("OK"));
        const QString out = dir.filePath(QStringLiteral("q.pt"));
        Result r = ws({"edit", in, "-o", out, "per_tensor_qint8 = 1"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("cannot be edited")), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
        r = ws({"edit", in, "-o", out, "dense[0, 0] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py", {in, out, "dense[0, 0] = 3"}),
                 QStringLiteral("OK"));
        // converted to safetensors: the dequantized values, float32
        const QString st = dir.filePath(QStringLiteral("q.safetensors"));
        r = ws({"edit", in, "-o", st, "dense[0, 0] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(py(QStringLiteral("import sys, torch\n"
                                   "sys.path.insert(0, r'%1')\n"
                                   "from check_roundtrip import load_safetensors\n"
                                   "got = load_safetensors(r'%2')[0]\n"
                                   "src = torch.load(r'%3')\n"
                                   "src['dense'][0, 0] = 3\n"
                                   "want = {k: v.dequantize() if v.is_quantized else v "
                                   "for k, v in src.items()}\n"
                                   "print(list(got) == list(want) and all(torch.equal(got[k], "
                                   "want[k]) for k in want))")
                        .arg(wstest::env("WS_SCRIPTS"), st, in)),
                 QStringLiteral("True"));
        const QString legacy = rw(QStringLiteral("quantized/quantized_legacy.pt"));
        r = ws({"edit", legacy, "-o", out, "dense[0, 0] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py", {legacy, out, "dense[0, 0] = 3"}),
                 QStringLiteral("OK"));
    }

    // Sparse tensors export in their dense form and are read-only.
    void sparse() {
        QTemporaryDir dir;
        const QString in = rw(QStringLiteral("sparse/sparse.pt"));
        QList<Export> exports;
        for (const char* name : {"coo", "coo_uncoalesced", "csr"}) {
            const QString npy = dir.filePath(QString::fromLatin1(name) + QStringLiteral(".npy"));
            QVERIFY(ws({"export", in, QString::fromLatin1(name), "-o", npy}).code == 0);
            exports.push_back({npy, QStringLiteral("SRC['%1'].to_dense().numpy()").arg(name)});
        }
        QCOMPARE(sameAsTorch(in, exports), QStringLiteral("OK"));
        const Result r = ws({"edit", in, "-o", dir.filePath("s.pt"), "coo = 1"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("cannot be edited")), qPrintable(r.err));
    }

    // complex64 and complex128 export exactly to .npy; other tensors of the file edit
    // and save around them; complex ones are refused.
    void complexTensors() {
        QTemporaryDir dir;
        for (const char* file : {"complex/complex.pt", "complex/complex_legacy.pt"}) {
            const QString in = rw(QString::fromLatin1(file));
            QList<Export> exports;
            for (const char* name : {"c64", "c64_t", "c128", "c64_scalar"}) {
                const QString npy =
                    dir.filePath(QString::fromLatin1(name) + QStringLiteral(".npy"));
                QVERIFY(ws({"export", in, QString::fromLatin1(name), "-o", npy}).code == 0);
                exports.push_back({npy, QStringLiteral("SRC['%1'].numpy()").arg(name)});
            }
            QCOMPARE(sameAsTorch(in, exports), QStringLiteral("OK"));
            const QString out = dir.filePath(QStringLiteral("c.pt"));
            Result r = ws({"edit", in, "-o", out, "real[1] = 2.5"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            QCOMPARE(wstest::runCheckScript("check_complex.py", {in, out, "real[1] = 2.5"}),
                     QStringLiteral("OK"));
            // Complex tensors take complex values as PyTorch does (c[0, 0] = 1 is 1+0j).
            r = ws({"edit", in, "-o", out, "c128[0, 0] = 1", "c64[0, 1] = 1+2j"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            QCOMPARE(wstest::runCheckScript("check_complex.py",
                                            {in, out, "c128[0, 0] = 1", "c64[0, 1] = 1+2j"}),
                     QStringLiteral("OK"));
        }
    }

    // A damaged tensor is listed with its reason; editing another one saves a file in
    // which the damaged record's bytes are exactly as they were.
    void damaged_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("bad");
        QTest::addColumn<QString>("expr");
        QTest::newRow("truncated") << QStringLiteral("truncated_record") << QStringLiteral("b")
                                   << QStringLiteral("a[0, 0] = 1");
        QTest::newRow("crc") << QStringLiteral("bad_crc") << QStringLiteral("a")
                             << QStringLiteral("c[1, 1] = 2");
        QTest::newRow("out of range")
            << QStringLiteral("out_of_range") << QStringLiteral("c") << QStringLiteral("b += 1");
    }
    void damaged() {
        QFETCH(QString, name);
        QFETCH(QString, bad);
        QFETCH(QString, expr);
        QTemporaryDir dir;
        const QString in = rw(QStringLiteral("damaged/%1.pt").arg(name));
        const QJsonArray tensors = infoJson(in).value(QStringLiteral("tensors")).toArray();
        QCOMPARE(tensors.size(), 3);
        for (const auto& t : tensors) {
            const QJsonObject o = t.toObject();
            QCOMPARE(o.contains(QStringLiteral("problem")),
                     o.value(QStringLiteral("name")).toString() == bad);
        }
        const Result text = ws({"info", in, "--stats"});
        QVERIFY2(text.code == 0 && text.out.contains(QLatin1String("Damaged")),
                 qPrintable(text.err));
        const QString out = dir.filePath(name + QStringLiteral(".pt"));
        const Result r = ws({"edit", in, "-o", out, expr});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // the damaged tensor's record: same bytes, same CRC, same sizes
        const QString record = QStringLiteral("%1/data/%2").arg(name).arg(bad[0].unicode() - 'a');
        QCOMPARE(py(QStringLiteral(
                        "import zipfile, struct\n"
                        "def raw(p, n):\n"
                        "    d = open(p, 'rb').read(); i = zipfile.ZipFile(p).getinfo(n)\n"
                        "    o = i.header_offset; a, b = struct.unpack('<HH', d[o + 26:o + 30])\n"
                        "    s = o + 30 + a + b\n"
                        "    return d[s:s + i.compress_size], i.CRC, i.file_size\n"
                        "print(raw(r'%1', '%3') == raw(r'%2', '%3'))")
                        .arg(in, out, record)),
                 QStringLiteral("True"));
        const Result bad2 = ws({"edit", in, "-o", out, bad + QStringLiteral(" = 0")});
        QCOMPARE(bad2.code, 2);
    }

    // A checkpoint whose pickle holds 6 million step counts opens on the command line.
    void bigPickle() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big.pt"));
        QString out;
        QCOMPARE(wstest::runPython(
                     {wstest::env("WS_SCRIPTS") + QStringLiteral("/make_big_pickle.py"), path},
                     &out, 300000),
                 0);
        const Result r = ws({"info", path});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QLatin1String("model.weight")));
        const QString saved = dir.filePath(QStringLiteral("saved.pt"));
        const Result e = ws({"edit", path, "-o", saved, "model.bias = 1"});
        QVERIFY2(e.code == 0, qPrintable(e.err));
    }
};

QTEST_GUILESS_MAIN(TestPyTorchTensorKindsCli)
#include "tst_pytorchtensorkindscli.moc"
