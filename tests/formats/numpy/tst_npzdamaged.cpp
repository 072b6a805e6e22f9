// .npz archives with a member that cannot be read, as numpy and byte surgery made
// them (tests/fixtures/make_realworld_{numpy,damaged}_fixtures.py): an object
// array (a pickle, never unpickled) and a truncated record. The other arrays open
// with numpy's values, the bad member is listed with its reason, and a save that
// edits another array keeps the bad member's record byte for byte, as numpy and
// Python's zipfile read the result.
#include "Document.h"
#include "DocumentEdits.h"
#include "ExpectedTensors.h"
#include "FormatRegistry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace ws;

namespace {

QJsonObject expectedFor(const QString& path) {
    QFile f(path + QStringLiteral(".expected/expected.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Compares the tensors listed in expected.json with the .npy values beside it.
QString compareExpected(const WeightFile& file, const QString& path, const QJsonObject& expected) {
    for (const QJsonValue& v : expected.value(QLatin1String("tensors")).toArray()) {
        const QJsonObject e = v.toObject();
        const QString name = e.value(QLatin1String("name")).toString();
        const TensorPtr t = file.find(name);
        if (!t) return QStringLiteral("no tensor ") + name;
        if (!t->problem.isEmpty()) return name + QStringLiteral(" has a problem: ") + t->problem;
        if (dtypeName(t->dtype) != e.value(QLatin1String("dtype")).toString())
            return name + QStringLiteral(": dtype ") + dtypeName(t->dtype);
        wstest::Npy npy;
        if (!wstest::readNpy(path + QStringLiteral(".expected/") +
                                 e.value(QLatin1String("npy")).toString(),
                             &npy))
            return name + QStringLiteral(": no expected values");
        std::vector<double> values;
        QString err;
        if (!t->valuesDouble(&values, &err)) return err;
        if (values != npy.values) return name + QStringLiteral(": values differ");
    }
    return QString();
}

// numpy and zipfile on the saved archive: the same members with the same
// compression, KEPT byte for byte, every other array equal to the original's with
// EDIT applied (numpy indexing).
const char* kCheck = R"(
import sys, zipfile, io, numpy as np
sys.path.insert(0, sys.argv[1])
from edit_expressions import apply
original, saved, kept, edit = sys.argv[2:6]
with zipfile.ZipFile(original) as za, zipfile.ZipFile(saved) as zb:
    assert zb.testzip() is None, "bad CRC"
    assert za.namelist() == zb.namelist(), (za.namelist(), zb.namelist())
    for ia in za.infolist():
        ib = zb.getinfo(ia.filename)
        assert ia.compress_type == ib.compress_type, ia.filename
        if ia.filename == kept:
            assert za.read(kept) == zb.read(kept), kept + " changed"
            continue
        arrays = {ia.filename[:-4]: np.load(io.BytesIO(za.read(ia.filename)))}
        if edit.startswith(ia.filename[:-4] + "["):
            apply(arrays, edit)
        got = np.load(io.BytesIO(zb.read(ib.filename)))
        want = arrays[ia.filename[:-4]]
        assert got.dtype == want.dtype and np.array_equal(got, want), ia.filename
print("OK")
)";

QString check(const QString& original, const QString& saved, const QString& kept,
              const QString& edit) {
    QString out;
    wstest::runPython({QStringLiteral("-c"), QString::fromLatin1(kCheck), wstest::env("WS_SCRIPTS"),
                       original, saved, kept, edit},
                      &out);
    return out.trimmed();
}

} // namespace

class TestNpzDamaged : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void objectMember_data();
    void objectMember();
    void truncatedMember();
};

void TestNpzDamaged::objectMember_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("stored") << "object_member.npz";
    QTest::newRow("deflated") << "object_member_compressed.npz";
}

void TestNpzDamaged::objectMember() {
    QFETCH(QString, file);
    const QString original = wstest::fixture(QStringLiteral("realworld/numpy/") + file);
    const QJsonObject expected = expectedFor(original);
    QVERIFY(!expected.isEmpty());
    QTemporaryDir dir;
    const QString copy = dir.filePath(file);
    QVERIFY(QFile::copy(original, copy));
    QString err;
    auto wf = openWeightFile(copy, &err);
    QVERIFY2(wf, qPrintable(err));
    QCOMPARE(wf->tensors.size(), size_t(3));
    const QString diff = compareExpected(*wf, original, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    const TensorPtr obj = wf->find(QStringLiteral("obj"));
    QVERIFY(obj);
    QVERIFY2(obj->problem.contains(QLatin1String("object dtype '|O'")), qPrintable(obj->problem));
    QCOMPARE(obj->shape, std::vector<int64_t>{1});
    std::vector<double> values;
    QVERIFY(!obj->valuesDouble(&values, &err));
    QVERIFY2(err.startsWith(copy) && err.contains(QLatin1String("obj.npy")), qPrintable(err));

    Document doc(std::move(wf));
    const QString edit = QStringLiteral("weight[1, 2] = 5");
    QVERIFY2(wstest::applyExpressions(doc, {edit}, &err), qPrintable(err));
    QVERIFY2(doc.save(copy, &err), qPrintable(err));
    QCOMPARE(check(original, copy, QStringLiteral("obj.npy"), edit), QStringLiteral("OK"));
}

void TestNpzDamaged::truncatedMember() {
    const QString original =
        wstest::fixture(QStringLiteral("realworld/damaged/truncated_member.npz"));
    const QJsonObject expected = expectedFor(original);
    QVERIFY(!expected.isEmpty());
    QTemporaryDir dir;
    const QString copy = dir.filePath(QStringLiteral("t.npz"));
    QVERIFY(QFile::copy(original, copy));
    QString err;
    auto wf = openWeightFile(copy, &err);
    QVERIFY2(wf, qPrintable(err));
    const QString diff = compareExpected(*wf, original, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    const TensorPtr b = wf->find(QStringLiteral("b"));
    QVERIFY(b);
    QVERIFY2(b->problem.startsWith(QLatin1String("truncated")), qPrintable(b->problem));
    QCOMPARE(b->dtype, DType::Int64);
    QCOMPARE(b->shape, std::vector<int64_t>{6});
    std::vector<double> values;
    QVERIFY(!b->valuesDouble(&values, &err));
    QVERIFY2(err.startsWith(copy) && err.contains(QLatin1String("b.npy")), qPrintable(err));

    Document doc(std::move(wf));
    const QString edit = QStringLiteral("a[3, 1] = -2.5");
    QVERIFY2(wstest::applyExpressions(doc, {edit}, &err), qPrintable(err));
    QVERIFY2(doc.save(copy, &err), qPrintable(err));
    QCOMPARE(check(original, copy, QStringLiteral("b.npy"), edit), QStringLiteral("OK"));
    // Converting it to another format cannot keep b: refused, nothing written.
    const QString converted = dir.filePath(QStringLiteral("t.safetensors"));
    QVERIFY(!formatById(QStringLiteral("safetensors"))->save(doc.file(), converted, &err));
    QVERIFY2(err.contains(QLatin1String("b.npy")), qPrintable(err));
    QVERIFY(!QFileInfo::exists(converted));
}

QTEST_GUILESS_MAIN(TestNpzDamaged)
#include "tst_npzdamaged.moc"
