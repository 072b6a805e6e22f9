// HDF5 datasets through filters, as h5py and Debian's hdf5-filter-plugin wrote
// them (tests/fixtures/make_realworld_hdf5_fixtures.py): h5py's LZF (our own
// filter on liblzf), gzip with shuffle or fletcher32, and the lz4 and bzip2
// plugins read with h5py's values; with plugins disabled, and for a filter nobody
// has, the dataset is listed with the filter's id and name and a save keeps its
// bytes; edits to filtered datasets are written back through the same filter
// (h5py reads them); Keras 3 bfloat16 (2-byte opaque) variables are bfloat16.
#include "Document.h"
#include "DocumentEdits.h"
#include "FormatRegistry.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace ws;

namespace {

QString fixture(const QString& name) {
    return wstest::fixture(QStringLiteral("realworld/hdf5_filters/") + name);
}

QJsonObject expectedFor(const QString& path) {
    QFile f(path + QStringLiteral(".expected/expected.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Every dataset of \a expected with an "npy" must be a tensor with those values.
QString compareDatasets(const WeightFile& file, const QString& path, const QJsonObject& expected,
                        const QStringList& skip = {}) {
    for (const QJsonValue& v : expected.value(QLatin1String("datasets")).toArray()) {
        const QJsonObject e = v.toObject();
        const QString name = e.value(QLatin1String("path")).toString();
        if (!e.contains(QLatin1String("npy")) || skip.contains(name)) continue;
        const TensorPtr t = file.find(name);
        if (!t) return QStringLiteral("no tensor ") + name;
        if (!t->problem.isEmpty()) return name + QStringLiteral(": ") + t->problem;
        if (dtypeName(t->dtype) != e.value(QLatin1String("dtype")).toString())
            return name + QStringLiteral(": dtype ") + dtypeName(t->dtype);
        wstest::Npy npy;
        if (!wstest::readNpy(path + QStringLiteral(".expected/") +
                                 e.value(QLatin1String("npy")).toString(),
                             &npy))
            return name + QStringLiteral(": no .npy");
        std::vector<double> values;
        QString err;
        if (!t->valuesDouble(&values, &err)) return err;
        if (values != npy.values) return name + QStringLiteral(": values differ from h5py's");
    }
    return QString();
}

QString runCheck(const QStringList& args) {
    QString out;
    wstest::runPython(args, &out);
    return out.trimmed();
}

// check_keras_archive.py's comparison of two HDF5 files (bfloat16 edits with
// PyTorch's rounding, opaque type kept).
const char* kCompareWeights = R"(
import sys
sys.path.insert(0, sys.argv[1])
from check_keras_archive import compare_weights
errors = []
compare_weights(open(sys.argv[2], 'rb').read(), open(sys.argv[3], 'rb').read(), sys.argv[4:], errors)
print("\n".join(errors) if errors else "OK")
)";

// w_unknown cannot be decoded by anyone: its raw chunks (and their filter masks),
// its filter pipeline and attributes must be as they were; w_ok as numpy edits it.
const char* kCompareUnknown = R"(
import sys, h5py, numpy as np
a, b, edit = h5py.File(sys.argv[1], 'r'), h5py.File(sys.argv[2], 'r'), sys.argv[3]
ua, ub = a['w_unknown'], b['w_unknown']
pa, pb = ua.id.get_create_plist(), ub.id.get_create_plist()
assert [pa.get_filter(i) for i in range(pa.get_nfilters())] == \
       [pb.get_filter(i) for i in range(pb.get_nfilters())], "filter pipeline changed"
for row in range(0, ua.shape[0], ua.chunks[0]):
    assert ua.id.read_direct_chunk((row, 0)) == ub.id.read_direct_chunk((row, 0)), "chunk changed"
want = a['w_ok'][()]
exec("want" + edit)
assert np.array_equal(b['w_ok'][()], want), "w_ok"
assert sorted(a.keys()) == sorted(b.keys())
print("OK")
)";

} // namespace

class TestHdf5Filters : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void filteredValuesMatchH5py();
    void pluginsDisabled();
    void unknownFilterListedAndKept();
    void editsWrittenThroughTheirFilters();
    void kerasBFloat16();
};

void TestHdf5Filters::filteredValuesMatchH5py() {
    const QString path = fixture(QStringLiteral("filters.h5"));
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    QCOMPARE(file->tensors.size(), size_t(6));
    const QString diff = compareDatasets(*file, path, expectedFor(path));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void TestHdf5Filters::pluginsDisabled() {
    // An empty plugin folder, as for a libhdf5 without hdf5-filter-plugin: lz4 and
    // bzip2 are listed with their ids and names, the rest reads.
    QTemporaryDir empty;
    qputenv("HDF5_PLUGIN_PATH", QFile::encodeName(empty.path()));
    const QString path = fixture(QStringLiteral("filters.h5"));
    QString err;
    auto file = openWeightFile(path, &err);
    qunsetenv("HDF5_PLUGIN_PATH");
    QVERIFY2(file, qPrintable(err));
    const QString diff = compareDatasets(*file, path, expectedFor(path),
                                         {QStringLiteral("lz4"), QStringLiteral("bzip2")});
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    for (const auto& [name, id] : {std::pair<QString, int>{"lz4", 32004}, {"bzip2", 307}}) {
        const TensorPtr t = file->find(name);
        QVERIFY(t);
        QVERIFY2(
            t->problem.startsWith(QStringLiteral("filter %1 'HDF5 %2 filter").arg(id).arg(name)) &&
                t->problem.contains(QLatin1String("not available")),
            qPrintable(t->problem));
        std::vector<double> values;
        QVERIFY(!t->valuesDouble(&values, &err));
        QVERIFY2(err.startsWith(path) && err.contains(name) && err.contains(QString::number(id)),
                 qPrintable(err));
    }
}

void TestHdf5Filters::unknownFilterListedAndKept() {
    const QString original = fixture(QStringLiteral("unknown_filter.h5"));
    QTemporaryDir dir;
    const QString saved = dir.filePath(QStringLiteral("u.h5"));
    QVERIFY(QFile::copy(original, saved));
    QString err;
    auto file = openWeightFile(saved, &err);
    QVERIFY2(file, qPrintable(err));
    QCOMPARE(file->tensors.size(), size_t(2));
    const QString diff = compareDatasets(*file, original, expectedFor(original));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    const TensorPtr bad = file->find(QStringLiteral("w_unknown"));
    QVERIFY(bad);
    QCOMPARE(bad->problem,
             QStringLiteral("filter 40000 'weightscope test filter' is not available"));
    QCOMPARE(bad->shape, std::vector<int64_t>({10, 10}));
    Document doc(std::move(file));
    QVERIFY2(wstest::applyExpressions(doc, {QStringLiteral("w_ok[1, 2] = 9")}, &err),
             qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(runCheck({QStringLiteral("-c"), QString::fromLatin1(kCompareUnknown), original, saved,
                       QStringLiteral("[1, 2] = 9")}),
             QStringLiteral("OK"));
}

void TestHdf5Filters::editsWrittenThroughTheirFilters() {
    const QString original = fixture(QStringLiteral("filters.h5"));
    QTemporaryDir dir;
    const QString saved = dir.filePath(QStringLiteral("f.h5"));
    QVERIFY(QFile::copy(original, saved));
    QString err;
    Document doc(openWeightFile(saved, &err));
    const QStringList exprs{"lzf[3, :] = 0.5",        "lzf[:, 7] *= -2",
                            "lz4[0:8, 1] += 1",       "bzip2[11, 9] = 123.25",
                            "gzip_shuffle[2, 3] = 4", "gzip_fletcher[5] = -7"};
    QVERIFY2(wstest::applyExpressions(doc, exprs, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(
        runCheck(QStringList{wstest::env("WS_SCRIPTS") + QStringLiteral("/check_hdf5_roundtrip.py"),
                             original, saved} +
                 exprs),
        QStringLiteral("OK"));
}

void TestHdf5Filters::kerasBFloat16() {
    const QString original = fixture(QStringLiteral("keras3_bf16.weights.h5"));
    QString err;
    auto file = openWeightFile(original, &err);
    QVERIFY2(file, qPrintable(err));
    const QString diff = compareDatasets(*file, original, expectedFor(original));
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
    const TensorPtr kernel = file->find(QStringLiteral("layers/dense/vars/0"));
    QCOMPARE(kernel->dtype, DType::BFloat16);
    QVERIFY(kernel->storage->fileOffset() > 0); // opaque bytes read as they lie
    QTemporaryDir dir;
    const QString saved = dir.filePath(QStringLiteral("k.weights.h5"));
    QVERIFY(QFile::copy(original, saved));
    Document doc(openWeightFile(saved, &err));
    const QStringList exprs{"layers/dense/vars/0[1, :] = 0.3", "layers/embedding/vars/0 *= 3",
                            "layers/dense_1/vars/1[0] = 2"};
    QVERIFY2(wstest::applyExpressions(doc, exprs, &err), qPrintable(err));
    QVERIFY2(doc.save(saved, &err), qPrintable(err));
    QCOMPARE(runCheck(QStringList{QStringLiteral("-c"), QString::fromLatin1(kCompareWeights),
                                  wstest::env("WS_SCRIPTS"), original, saved} +
                      exprs),
             QStringLiteral("OK"));
}

QTEST_GUILESS_MAIN(TestHdf5Filters)
#include "tst_hdf5filters.moc"
