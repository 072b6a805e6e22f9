// The isolation of libhdf5 in the helper program: a helper that crashes, hangs,
// runs out of its memory limit, sends too little or is missing gives an error
// naming the file and what happened, for the structure walk and for a dataset's
// values; and helpers started from many threads at once all deliver.
#include "FormatRegistry.h"
#include "Hdf5Format.h"
#include "Hdf5Helper.h"
#include "TestUtil.h"

#include <QTemporaryDir>
#include <thread>

using namespace ws;

namespace {

// A fake helper: runs the real one for a structure walk (so that a file opens),
// and \a readAction (shell) when asked for a dataset's values; with \a always,
// \a readAction for everything.
QString fakeHelper(const QTemporaryDir& dir, const QString& real, const QString& readAction,
                   bool always = false) {
    const QString path = dir.filePath(QStringLiteral("fake-helper.sh"));
    QFile f(path);
    f.open(QIODevice::WriteOnly | QIODevice::Truncate);
    f.write(QStringLiteral("#!/bin/sh\n%1if [ \"$1\" = read ]; then %2; fi\nexec '%3' \"$@\"\n")
                .arg(always ? readAction + QStringLiteral("\n") : QString(), readAction, real)
                .toUtf8());
    f.close();
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

// Sets WS_HDF5_HELPER for the lifetime of the object.
struct HelperOverride {
    explicit HelperOverride(const QString& path) {
        qputenv("WS_HDF5_HELPER", QFile::encodeName(path));
    }
    ~HelperOverride() { qunsetenv("WS_HDF5_HELPER"); }
};

// A chunked, compressed dataset whose one chunk is 8 MiB, made by h5py.
QString bigChunkFile(const QTemporaryDir& dir) {
    const QString path = dir.filePath(QStringLiteral("bigchunk.h5"));
    QString out;
    const int rc = wstest::runPython(
        {QStringLiteral("-c"),
         QStringLiteral("import sys, h5py, numpy as np\n"
                        "with h5py.File(sys.argv[1], 'w') as f:\n"
                        "    f.create_dataset('w', data=np.arange(2048 * 1024, dtype='<f4')"
                        ".reshape(2048, 1024), chunks=(2048, 1024), compression='gzip')\n"),
         path},
        &out);
    return rc == 0 ? path : QString();
}

} // namespace

class TestHdf5Helper : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { setHdf5HelperLimits(Hdf5HelperLimits()); }
    void cleanupTestCase() { setHdf5HelperLimits(Hdf5HelperLimits()); }
    void findsTheHelper();
    void crashWhileReadingValues();
    void crashWhileWalking();
    void hang();
    void memoryLimit();
    void shortAnswer();
    void missingHelper();
    void manyThreads();

private:
    QString m_real;
    QString compressed() const { return wstest::fixture(QStringLiteral("hdf5/generic.h5")); }
};

void TestHdf5Helper::findsTheHelper() {
    QString err;
    m_real = hdf5HelperProgram(&err);
    QVERIFY2(!m_real.isEmpty(), qPrintable(err));
    QVERIFY(m_real.endsWith(QLatin1String("/weightscope-hdf5")));
}

void TestHdf5Helper::crashWhileReadingValues() {
    QTemporaryDir dir;
    HelperOverride use(fakeHelper(dir, m_real, QStringLiteral("kill -SEGV $$")));
    QString err;
    auto file = openWeightFile(compressed(), &err);
    QVERIFY2(file, qPrintable(err));
    const TensorPtr t = file->find(QStringLiteral("compressed"));
    QVERIFY(t && t->storage->fileOffset() < 0); // chunked: read through the helper
    std::vector<double> values;
    QVERIFY(!t->valuesDouble(&values, &err));
    QCOMPARE(err, compressed() + QStringLiteral(": the HDF5 library crashed reading dataset "
                                                "compressed (signal 11); the file may be damaged"));
}

void TestHdf5Helper::crashWhileWalking() {
    QTemporaryDir dir;
    HelperOverride use(fakeHelper(dir, m_real, QStringLiteral("kill -BUS $$"), true));
    QString err;
    QVERIFY(!openWeightFile(compressed(), &err));
    QCOMPARE(err, compressed() + QStringLiteral(": the HDF5 library crashed reading the file's "
                                                "structure (signal 7); the file may be damaged"));
}

void TestHdf5Helper::hang() {
    QTemporaryDir dir;
    setHdf5HelperLimits(Hdf5HelperLimits{1500, 0});
    {
        HelperOverride use(fakeHelper(dir, m_real, QStringLiteral("exec sleep 60")));
        QString err;
        auto file = openWeightFile(compressed(), &err);
        QVERIFY2(file, qPrintable(err));
        std::vector<double> values;
        QVERIFY(!file->find(QStringLiteral("compressed"))->valuesDouble(&values, &err));
        QCOMPARE(err, compressed() + QStringLiteral(": the HDF5 library took longer than 1.5 s "
                                                    "reading dataset compressed and was stopped; "
                                                    "the file may be damaged"));
    }
    HelperOverride use(fakeHelper(dir, m_real, QStringLiteral("exec sleep 60"), true));
    QString err;
    QVERIFY(!openWeightFile(compressed(), &err));
    QVERIFY2(err.startsWith(compressed() + QStringLiteral(": the HDF5 library took longer than "
                                                          "1.5 s reading the file's structure")),
             qPrintable(err));
}

void TestHdf5Helper::memoryLimit() {
    QTemporaryDir dir;
    const QString path = bigChunkFile(dir);
    QVERIFY(!path.isEmpty());
    QString err;
    auto file = openWeightFile(path, &err);
    QVERIFY2(file, qPrintable(err));
    std::vector<double> values;
    QVERIFY2(file->tensors[0]->valuesDouble(&values, &err), qPrintable(err)); // normal limits
    QCOMPARE(values[12345], 12345.0);
    file->tensors[0]->storage->unload();
    setHdf5HelperLimits(Hdf5HelperLimits{60000, qint64(4) << 20}); // less than one chunk
    QVERIFY(!file->tensors[0]->valuesDouble(&values, &err));
    QCOMPARE(err, path + QStringLiteral(": the HDF5 library needed more than the 4 MiB of memory "
                                        "it may use reading dataset w; the file may be damaged"));
}

void TestHdf5Helper::shortAnswer() {
    QTemporaryDir dir;
    HelperOverride use(fakeHelper(dir, m_real, QStringLiteral("head -c 10 /dev/zero; exit 0")));
    QString err;
    auto file = openWeightFile(compressed(), &err);
    QVERIFY2(file, qPrintable(err));
    const TensorPtr t = file->find(QStringLiteral("compressed"));
    std::vector<double> values;
    QVERIFY(!t->valuesDouble(&values, &err));
    QCOMPARE(err, compressed() + QStringLiteral(": the HDF5 helper sent 10 of the %1 bytes of "
                                                "dataset compressed")
                                     .arg(t->storage->byteSize()));
}

void TestHdf5Helper::missingHelper() {
    HelperOverride use(QStringLiteral("/nonexistent/weightscope-hdf5"));
    QString err;
    QVERIFY(!openWeightFile(compressed(), &err));
    QVERIFY2(err.startsWith(compressed()) &&
                 err.contains(QLatin1String("WS_HDF5_HELPER=/nonexistent/weightscope-hdf5 is not "
                                            "an executable program")),
             qPrintable(err));
}

void TestHdf5Helper::manyThreads() {
    // Helpers started from worker threads without event loops, eight at a time,
    // each tensor loaded again and again: every read delivers the right values.
    QString err;
    auto file = openWeightFile(compressed(), &err);
    QVERIFY2(file, qPrintable(err));
    std::vector<TensorPtr> viaHelper;
    for (const TensorPtr& t : file->tensors)
        if (t->storage->fileOffset() < 0) viaHelper.push_back(t);
    QVERIFY(viaHelper.size() >= 3);
    std::vector<QByteArray> expected(viaHelper.size());
    for (size_t i = 0; i < viaHelper.size(); ++i) {
        QVERIFY2(viaHelper[i]->storage->readAll(&expected[i], &err), qPrintable(err));
        viaHelper[i]->storage->unload();
    }
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 8; ++k)
        threads.emplace_back([&, k] {
            for (int round = 0; round < 3; ++round) {
                const size_t i = size_t(k + round) % viaHelper.size();
                QByteArray bytes;
                QString e;
                if (!viaHelper[i]->storage->loader()(bytes, &e) || bytes != expected[i]) ++failures;
            }
        });
    for (auto& t : threads)
        t.join();
    QCOMPARE(failures.load(), 0);
}

QTEST_GUILESS_MAIN(TestHdf5Helper)
#include "tst_hdf5helper.moc"
