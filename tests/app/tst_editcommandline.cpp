// `weightscope edit` as a process: edits land exactly as PyTorch's own
// operators put them (checked by tests/scripts/check_roundtrip.py with torch),
// bad expressions write nothing, and failed saves leave the original intact
// (every format: tst_savefailures.cpp, tst_crashsafety.cpp).
#include "TestUtil.h"

#include <QCryptographicHash>
#include <QTemporaryDir>

namespace {

using Result = wstest::RunResult;

Result run(const QString& program, const QStringList& args) {
    return wstest::runProcess(program, args);
}

Result edit(const QStringList& args) {
    return run(wstest::env("WS_BINARY"), QStringList{QStringLiteral("edit")} + args);
}

QByteArray digest(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

QString check(const QStringList& args) {
    QString out;
    wstest::runPython(QStringList{wstest::env("WS_SCRIPTS") + "/check_roundtrip.py"} + args, &out);
    return out.trimmed();
}

} // namespace

class TestEditCommandLine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editsMatchTorch_data();
    void editsMatchTorch();
    void overwriteInPlace();
    void convertByExtension();
    void badExpressionsWriteNothing_data();
    void badExpressionsWriteNothing();
    void dryRunWritesNothing();
    void fileSizeLimitKeepsOriginal();
};

void TestEditCommandLine::editsMatchTorch_data() {
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QStringList>("exprs");
    QTest::newRow("mlp") << "pytorch/mlp_state_dict.pt"
                         << QStringList{"0.weight[0:5, :] = 0.1", "2.bias += 0.5",
                                        "0.weight *= 0.9",        "0.weight[3, -1] = -1.25",
                                        "2.weight[:, 0] -= 1",    "0.bias /= 3"};
    QTest::newRow("checkpoint") << "pytorch/checkpoint.tar"
                                << QStringList{"optimizer_state_dict.state[1].exp_avg[2:] = 0",
                                               "history.1 = 7"};
    QTest::newRow("dtypes") << "pytorch/dtypes.pt"
                            << QStringList{"f16[:, 1:] = 0.3", "bf16 -= 0.7", "i16 *= 3"};
    QTest::newRow("safetensors") << "safetensors/mlp.safetensors"
                                 << QStringList{"embed.weight = 0", "layers.0.fc.weight[0] += 1"};
}

void TestEditCommandLine::editsMatchTorch() {
    QFETCH(QString, fixture);
    QFETCH(QStringList, exprs);
    QTemporaryDir dir;
    const QString in = wstest::fixture(fixture);
    const QString out = dir.filePath(QFileInfo(in).fileName());
    const Result r = edit(QStringList{in, "-o", out} + exprs);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QStringLiteral("saved")));
    QCOMPARE(check(QStringList{in, out} + exprs), QStringLiteral("OK"));
}

void TestEditCommandLine::overwriteInPlace() {
    QTemporaryDir dir;
    const QString original = wstest::fixture("pytorch/whole_module.pt");
    const QString path = dir.filePath(QStringLiteral("model.pt"));
    QVERIFY(QFile::copy(original, path));
    const QStringList exprs{"5.encoder.layers.0.linear1.weight[:, 2] = 0.25", "6.bias += 1"};
    const Result r = edit(QStringList{path, "-o", path} + exprs);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(check(QStringList{original, path} + exprs), QStringLiteral("OK"));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"model.pt"}); // no temp left
}

void TestEditCommandLine::convertByExtension() {
    QTemporaryDir dir;
    const QString in = wstest::fixture("pytorch/mlp_state_dict.pt");
    const QString out = dir.filePath(QStringLiteral("m.safetensors"));
    const Result r = edit({in, "-o", out, "2.bias = 1"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(check({"--flat", in, out, "2.bias = 1"}), QStringLiteral("OK"));
}

void TestEditCommandLine::badExpressionsWriteNothing_data() {
    QTest::addColumn<QString>("expr");
    QTest::addColumn<QString>("message");
    QTest::newRow("malformed") << "0.weight[0:2 = 1"
                               << "malformed";
    QTest::newRow("no operator") << "0.weight 1"
                                 << "malformed";
    QTest::newRow("not a number") << "0.weight = x"
                                  << "not a number";
    QTest::newRow("out of range") << "0.weight[8, 0] = 1"
                                  << "out of range";
    QTest::newRow("negative out of range") << "0.weight[-9] = 1"
                                           << "out of range";
    QTest::newRow("too many indices") << "0.bias[0, 0] = 1"
                                      << "too many";
    QTest::newRow("unknown tensor") << "0.wieght = 1"
                                    << "did you mean '0.weight'";
}

void TestEditCommandLine::badExpressionsWriteNothing() {
    QFETCH(QString, expr);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.pt"));
    QVERIFY(QFile::copy(wstest::fixture("pytorch/mlp_state_dict.pt"), path));
    const QByteArray before = digest(path);
    // a good expression first: nothing may be written even so
    const Result r = edit({path, "-o", path, "2.bias = 5", expr});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY(r.err.contains(path));
    QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
    QCOMPARE(digest(path), before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"m.pt"});
}

void TestEditCommandLine::dryRunWritesNothing() {
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("o.pt"));
    const Result r = edit({wstest::fixture("pytorch/mlp_state_dict.pt"), "-o", out, "--dry-run",
                           "0.weight[0:2, 0:2] = 0.5"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains(QStringLiteral("4 of 32 values")));
    QVERIFY(!QFile::exists(out));
    QCOMPARE(edit({wstest::fixture("pytorch/mlp_state_dict.pt"), "0.bias = 1"}).code, 1);
}

void TestEditCommandLine::fileSizeLimitKeepsOriginal() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("m.pt"));
    QVERIFY(QFile::copy(wstest::fixture("pytorch/mlp_state_dict.pt"), path));
    const QByteArray before = digest(path);
    // ulimit -f 1: at most 1024 bytes may be written to any file
    const Result r = run(QStringLiteral("/bin/bash"),
                         {"-c",
                          QStringLiteral("ulimit -f 1; exec \"$0\" edit \"$1\" -o \"$1\" "
                                         "'0.bias = 2'"),
                          wstest::env("WS_BINARY"), path});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(path), qPrintable(r.err));
    QCOMPARE(digest(path), before);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"m.pt"});
}

QTEST_GUILESS_MAIN(TestEditCommandLine)
#include "tst_editcommandline.moc"
