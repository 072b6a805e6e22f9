// The command line on PyTorch containers met in the wild (tests/fixtures/
// realworld/): legacy pickles of every protocol, TorchScript archives and sharded
// .bin models; every save is loaded back by torch and checked by the scripts in
// tests/scripts (check_roundtrip.py, check_torchscript.py, check_sharded_bin.py).
// Tensor kinds and names are in tst_pytorchtensorkindscli.cpp.
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
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py",
                                        QStringList{"--saved-weights-only", in, out} + exprs),
                 QStringLiteral("OK"));
        // the committed protocol-4 fixture too
        const QString old = wstest::fixture(QStringLiteral("pytorch/legacy_protocol4.pt"));
        QVERIFY(ws({"edit", old, "-o", out, "0.weight[0, 0] = 2"}).code == 0);
        QCOMPARE(wstest::runCheckScript("check_roundtrip.py",
                                        {"--saved-weights-only", old, out, "0.weight[0, 0] = 2"}),
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
        QCOMPARE(wstest::runCheckScript("check_torchscript.py",
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
        const QString out = wstest::runCheckScript("check_sharded_bin.py", {original, work, expr});
        QVERIFY2(out.endsWith(QLatin1String("OK")), qPrintable(out));
        QVERIFY2(out.contains(QStringLiteral("changed ") + changed), qPrintable(out));
        QCOMPARE(
            out.count(QStringLiteral("\nchanged ")) + out.startsWith(QLatin1String("changed ")), 1);
        // info through the index lists every tensor of every shard
        QCOMPARE(infoJson(index).value(QStringLiteral("tensors")).toArray().size(), 12);
        // into another folder: the edited shard rewritten, the others copied as they are
        const QString copy = dir.filePath(QStringLiteral("copy"));
        QDir().mkpath(copy);
        const Result c = ws({"edit", original + QStringLiteral("/pytorch_model.bin.index.json"),
                             "-o", copy + QStringLiteral("/pytorch_model.bin.index.json"), expr});
        QVERIFY2(c.code == 0, qPrintable(c.err));
        const QString copied =
            wstest::runCheckScript("check_sharded_bin.py", {original, copy, expr});
        QVERIFY2(copied.endsWith(QLatin1String("OK")), qPrintable(copied));
    }
};

QTEST_GUILESS_MAIN(TestPyTorchRealWorldCli)
#include "tst_pytorchrealworldcli.moc"
