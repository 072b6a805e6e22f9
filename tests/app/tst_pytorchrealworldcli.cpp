// The command line on PyTorch files met in the wild (tests/fixtures/realworld/):
// every save is loaded back by the real tool and checked by the scripts in
// tests/scripts (check_roundtrip.py, check_torchscript.py, check_sharded_bin.py,
// check_complex.py), exports are read by numpy, and names with brackets work in
// info, export, stats and edit alike.
#include "TestUtil.h"

#include <QDirIterator>
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

// Runs tests/scripts/SCRIPT with \a args; its output, trimmed.
QString script(const QString& name, const QStringList& args) {
    QString out;
    wstest::runPython(QStringList{wstest::env("WS_SCRIPTS") + QLatin1Char('/') + name} + args, &out,
                      300000);
    return out.trimmed();
}

// Runs python code; returns its output, trimmed.
QString py(const QString& code) {
    QString out;
    wstest::runPython({QStringLiteral("-c"), QStringLiteral("import warnings\n"
                                                            "warnings.simplefilter('ignore')\n") +
                                                 code},
                      &out);
    return out.trimmed();
}

QJsonObject infoJson(const QString& path) {
    const Result r = ws({QStringLiteral("info"), path, QStringLiteral("--json")});
    return QJsonDocument::fromJson(r.out.toUtf8()).object();
}

bool copyFolder(const QString& from, const QString& to) {
    QDir().mkpath(to);
    QDirIterator it(from, QDir::Files);
    while (it.hasNext()) {
        it.next();
        if (!QFile::copy(it.filePath(), to + QLatin1Char('/') + it.fileName())) return false;
    }
    return true;
}

} // namespace

class TestPyTorchRealWorldCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Legacy checkpoints of every pickle protocol save (as zip) to a file torch loads
    // with weights_only True and False, holding exactly the edit.
    void legacyProtocolsRoundTrip_data() {
        QTest::addColumn<int>("protocol");
        for (int p = 2; p <= 5; ++p)
            QTest::newRow(qPrintable(QStringLiteral("protocol %1").arg(p))) << p;
    }
    void legacyProtocolsRoundTrip() {
        QFETCH(int, protocol);
        QTemporaryDir dir;
        const QString in = rw(QStringLiteral("legacy/legacy_protocol%1.pt").arg(protocol));
        const QString out = dir.filePath(QStringLiteral("saved.pt"));
        const QStringList exprs = {"fc.weight[0, 1] = 0.5", "ids[1, 2] = 99", "emb.half += 1"};
        const Result r = ws(QStringList{"edit", in, "-o", out} + exprs);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_roundtrip.py", QStringList{"--saved-weights-only", in, out} + exprs),
                 QStringLiteral("OK"));
        // the committed protocol-4 fixture too
        const QString old = wstest::fixture(QStringLiteral("pytorch/legacy_protocol4.pt"));
        QVERIFY(ws({"edit", old, "-o", out, "0.weight[0, 0] = 2"}).code == 0);
        QCOMPARE(
            script("check_roundtrip.py", {"--saved-weights-only", old, out, "0.weight[0, 0] = 2"}),
            QStringLiteral("OK"));
    }

    // TorchScript: edits land in the weights torch.jit.load runs with; every code,
    // debug and constants record stays byte for byte, compressed ones included.
    void torchScriptRoundTrip_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("scripted") << QStringLiteral("scripted.pt");
        QTest::newRow("traced") << QStringLiteral("traced.pt");
    }
    void torchScriptRoundTrip() {
        QFETCH(QString, name);
        QTemporaryDir dir;
        const QString in = rw(QStringLiteral("torchscript/") + name);
        const QString out = dir.filePath(name);
        const QStringList exprs = {"head.fc.weight[0, :] = 0.5", "bn.running_mean[1] = 0.25",
                                   "conv.bias -= 1"};
        const Result r = ws(QStringList{"edit", in, "-o", out} + exprs);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_torchscript.py",
                        QStringList{out, in + QStringLiteral(".expected")} + exprs),
                 QStringLiteral("OK"));
        const QJsonArray tensors = infoJson(in).value(QStringLiteral("tensors")).toArray();
        QCOMPARE(tensors.size(), 9);
        QCOMPARE(tensors[0].toObject().value(QStringLiteral("name")).toString(),
                 QStringLiteral("conv.weight"));
    }

    // A sharded .bin model saved in place rewrites only the shard holding the edit; a
    // legacy shard that is edited comes back as a zip torch reads.
    void shardedBinInPlace_data() {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("expr");
        QTest::addColumn<QString>("changed");
        QTest::newRow("zip") << QStringLiteral("zip")
                             << QStringLiteral("model.layers.1.self_attn.q_proj.weight[0, :] = 0.5")
                             << QStringLiteral("pytorch_model-00002-of-00003.bin");
        QTest::newRow("tied") << QStringLiteral("zip")
                              << QStringLiteral("lm_head.weight[2, 1] = -3")
                              << QStringLiteral("pytorch_model-00001-of-00003.bin");
        QTest::newRow("legacy shard") << QStringLiteral("mixed_legacy")
                                      << QStringLiteral("model.layers.1.mlp.up_proj.weight += 1")
                                      << QStringLiteral("pytorch_model-00002-of-00003.bin");
    }
    void shardedBinInPlace() {
        QFETCH(QString, variant);
        QFETCH(QString, expr);
        QFETCH(QString, changed);
        QTemporaryDir dir;
        const QString original = rw(QStringLiteral("sharded_bin/") + variant);
        const QString work = dir.filePath(QStringLiteral("model"));
        QVERIFY(copyFolder(original, work));
        const QString index = work + QStringLiteral("/pytorch_model.bin.index.json");
        const Result r = ws({"edit", index, "-o", index, expr});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString out = script("check_sharded_bin.py", {original, work, expr});
        QVERIFY2(out.endsWith(QLatin1String("OK")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("changed ") + changed), qPrintable(out));
        QCOMPARE(
            out.count(QStringLiteral("\nchanged ")) + out.startsWith(QLatin1String("changed ")), 1);
        // info through the index lists every tensor of every shard
        QCOMPARE(infoJson(index).value(QStringLiteral("tensors")).toArray().size(), 12);
    }

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
        QCOMPARE(py(QStringLiteral("import numpy as np, torch; a = np.load(r'%1'); "
                                   "b = torch.load(r'%2')['optimizer']['state'][3]['exp_avg']"
                                   ".numpy(); print(a.dtype == b.dtype and (a == b).all())")
                        .arg(npy, adam)),
                 QStringLiteral("True"));
        QVERIFY(ws({"export", adam, "optimizer.state[3].exp_avg[1:3]", "-o", npy}).code == 0);
        const Result stats = ws({"stats", adam, "optimizer.state[0].step"});
        QVERIFY2(stats.code == 0 && stats.out.contains(QLatin1String("min")),
                 qPrintable(stats.err));

        const QString out = dir.filePath(QStringLiteral("adam.pt"));
        QStringList exprs = {"optimizer.state[3].exp_avg[0:2] = 0", "optimizer.state[1].step += 1",
                             "model.2.bias = 0.5"};
        Result r = ws(QStringList{"edit", adam, "-o", out} + exprs);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_roundtrip.py", QStringList{adam, out} + exprs),
                 QStringLiteral("OK"));

        const QString dotted = rw(QStringLiteral("keys/dotted_keys.pt"));
        exprs = QStringList{"['a.b'].c[1] = 5", "a['b.c'] = 1", "[7] = 2",
                            "7 -= 1",           "x.y *= 3",     "['x.y'][0] = -4"};
        r = ws(QStringList{"edit", dotted, "-o", out} + exprs);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_roundtrip.py", QStringList{dotted, out} + exprs),
                 QStringLiteral("OK"));
        QVERIFY(ws({"export", dotted, "['a.b'].c", "-o", npy}).code == 0);

        const QString tkey = rw(QStringLiteral("keys/tensor_key.pt"));
        QVERIFY(ws({"stats", tkey, "[tensor#1].0"}).code == 0);
        r = ws({"edit", tkey, "-o", out, "[tensor#0][1, 1] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_roundtrip.py", {tkey, out, "[tensor#0][1, 1] = 3"}),
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
        QVERIFY2(info.out.contains(QLatin1String("qint8")) &&
                     info.out.contains(QLatin1String("scale 0.05")) &&
                     info.out.contains(QLatin1String("per-channel (axis 1)")),
                 qPrintable(info.out));
        const QJsonArray tensors = infoJson(in).value(QStringLiteral("tensors")).toArray();
        QCOMPARE(tensors[1].toObject().value(QStringLiteral("dtype")).toString(),
                 QStringLiteral("quint8"));
        const QString npy = dir.filePath(QStringLiteral("q.npy"));
        for (const char* name : {"per_tensor_qint32", "per_channel_qint8_axis1"}) {
            QVERIFY(ws({"export", in, QString::fromLatin1(name), "-o", npy}).code == 0);
            QCOMPARE(py(QStringLiteral("import numpy as np, torch; a = np.load(r'%1'); "
                                       "b = torch.load(r'%2')['%3'].dequantize().numpy(); "
                                       "print(a.dtype == b.dtype and (a == b).all())")
                            .arg(npy, in, QString::fromLatin1(name))),
                     QStringLiteral("True"));
        }
        const QString out = dir.filePath(QStringLiteral("q.pt"));
        Result r = ws({"edit", in, "-o", out, "per_tensor_qint8 = 1"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QLatin1String("cannot be edited")), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
        r = ws({"edit", in, "-o", out, "dense[0, 0] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_roundtrip.py", {in, out, "dense[0, 0] = 3"}), QStringLiteral("OK"));
        const QString legacy = rw(QStringLiteral("quantized/quantized_legacy.pt"));
        r = ws({"edit", legacy, "-o", out, "dense[0, 0] = 3"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(script("check_roundtrip.py", {legacy, out, "dense[0, 0] = 3"}),
                 QStringLiteral("OK"));
    }

    // Sparse tensors export in their dense form and are read-only.
    void sparse() {
        QTemporaryDir dir;
        const QString in = rw(QStringLiteral("sparse/sparse.pt"));
        const QString npy = dir.filePath(QStringLiteral("s.npy"));
        for (const char* name : {"coo", "coo_uncoalesced", "csr"}) {
            QVERIFY(ws({"export", in, QString::fromLatin1(name), "-o", npy}).code == 0);
            QCOMPARE(py(QStringLiteral("import numpy as np, torch; a = np.load(r'%1'); "
                                       "b = torch.load(r'%2')['%3'].to_dense().numpy(); "
                                       "print((a == b).all())")
                            .arg(npy, in, QString::fromLatin1(name))),
                     QStringLiteral("True"));
        }
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
            const QString npy = dir.filePath(QStringLiteral("c.npy"));
            for (const char* name : {"c64", "c64_t", "c128", "c64_scalar"}) {
                QVERIFY(ws({"export", in, QString::fromLatin1(name), "-o", npy}).code == 0);
                QCOMPARE(py(QStringLiteral("import numpy as np, torch; a = np.load(r'%1'); "
                                           "b = torch.load(r'%2')['%3'].numpy(); "
                                           "print(a.dtype == b.dtype and a.shape == b.shape and "
                                           "(a == b).all())")
                                .arg(npy, in, QString::fromLatin1(name))),
                         QStringLiteral("True"));
            }
            const QString out = dir.filePath(QStringLiteral("c.pt"));
            Result r = ws({"edit", in, "-o", out, "real[1] = 2.5"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            QCOMPARE(script("check_complex.py", {in, out, "real[1] = 2.5"}), QStringLiteral("OK"));
            r = ws({"edit", in, "-o", out, "c128[0, 0] = 1"});
            QCOMPARE(r.code, 2);
            QVERIFY2(r.err.contains(QLatin1String("cannot be edited")), qPrintable(r.err));
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

QTEST_GUILESS_MAIN(TestPyTorchRealWorldCli)
#include "tst_pytorchrealworldcli.moc"
