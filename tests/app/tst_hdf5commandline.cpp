// The command line on Keras and HDF5 files, and on files with unreadable tensors:
// `weightscope edit` of a .keras archive and of an lzf-compressed HDF5 dataset,
// checked with h5py; `info` lists unreadable tensors with their problem.
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

namespace {

QString script(const QString& name) {
    return wstest::env("WS_SCRIPTS") + QLatin1Char('/') + name;
}

QString check(const QStringList& args) {
    QString out;
    wstest::runPython(args, &out);
    return out.trimmed();
}

// tensor name -> its "problem" (empty when readable) from `info --json`.
QHash<QString, QString> problems(const QString& json) {
    QHash<QString, QString> out;
    const QJsonArray tensors =
        QJsonDocument::fromJson(json.toUtf8()).object().value(QLatin1String("tensors")).toArray();
    for (const QJsonValue& v : tensors) {
        const QJsonObject t = v.toObject();
        out.insert(t.value(QLatin1String("name")).toString(),
                   t.value(QLatin1String("problem")).toString());
    }
    return out;
}

} // namespace

class TestHdf5CommandLine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editKerasArchive();
    void editLzfDataset();
    void infoListsUnreadableTensors();
};

void TestHdf5CommandLine::editKerasArchive() {
    QTemporaryDir dir;
    const QString in = wstest::fixture(QStringLiteral("realworld/keras/sequential_bf16.keras"));
    const QString out = dir.filePath(QStringLiteral("edited.keras"));
    const QStringList exprs{"layers/dense/vars/0[0, :] = 0.5", "layers/dense_1/vars/0 *= 2"};
    const auto r = wstest::runWeightscope(QStringList{"edit", in, "-o", out} + exprs);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(check(QStringList{script("check_keras_archive.py"), in, out} + exprs),
             QStringLiteral("OK"));
}

void TestHdf5CommandLine::editLzfDataset() {
    QTemporaryDir dir;
    const QString in = wstest::fixture(QStringLiteral("realworld/hdf5_filters/filters.h5"));
    const QString out = dir.filePath(QStringLiteral("edited.h5"));
    const QStringList exprs{"lzf[0:4, 0:4] = -1", "gzip_shuffle += 1"};
    const auto r = wstest::runWeightscope(QStringList{"edit", in, "-o", out} + exprs);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(check(QStringList{script("check_hdf5_roundtrip.py"), in, out} + exprs),
             QStringLiteral("OK"));
}

void TestHdf5CommandLine::infoListsUnreadableTensors() {
    const QString h5 = wstest::fixture(QStringLiteral("realworld/hdf5_filters/unknown_filter.h5"));
    auto r = wstest::runWeightscope({"info", "--json", h5});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QHash<QString, QString> p = problems(r.out);
    QCOMPARE(p.value(QStringLiteral("w_unknown")),
             QStringLiteral("filter 40000 'weightscope test filter' is not available"));
    QVERIFY(p.contains(QStringLiteral("w_ok")) && p.value(QStringLiteral("w_ok")).isEmpty());
    r = wstest::runWeightscope({"info", h5});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QLatin1String(
                 "  w_unknown: filter 40000 'weightscope test filter' is not available\n")),
             qPrintable(r.out));
    // --stats reads every readable tensor and leaves the unreadable one without statistics
    const QString npz = wstest::fixture(QStringLiteral("realworld/damaged/truncated_member.npz"));
    r = wstest::runWeightscope({"info", "--json", "--stats", npz});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    p = problems(r.out);
    QVERIFY2(p.value(QStringLiteral("b")).startsWith(QLatin1String("truncated")),
             qPrintable(r.out));
    const QJsonArray tensors =
        QJsonDocument::fromJson(r.out.toUtf8()).object().value(QLatin1String("tensors")).toArray();
    for (const QJsonValue& v : tensors) {
        const QJsonObject t = v.toObject();
        const bool unreadable = t.contains(QLatin1String("problem"));
        QCOMPARE(t.value(QLatin1String("min")).isNull(), unreadable);
    }
}

QTEST_GUILESS_MAIN(TestHdf5CommandLine)
#include "tst_hdf5commandline.moc"
