// Replays every committed fuzz input (fuzz/corpus/<reader>/) through the same
// function the reader's fuzz target runs (FuzzEntry.cpp): each must open or be
// refused with a message, and nothing may crash. A watchdog fails the test when
// one input takes absurdly long (a hang), naming it. Inputs that once crashed or
// hung a fuzzer are named crash-*, timeout-*, leak-*, oom-*, slow-unit-* (as
// libFuzzer names them) or regression-*; every other file is a seed made by the
// real tools, which must open with every tensor loaded (but for two seeds that
// test a refusal and an empty file). Every format has a fuzz target and a corpus.
#include "FormatRegistry.h"
#include "FuzzEntry.h"
#include "TestUtil.h"

#include <QDirIterator>

namespace {

bool isRegression(const QString& name) {
    for (const char* prefix : {"crash-", "timeout-", "leak-", "oom-", "slow-unit-", "regression-"})
        if (name.startsWith(QLatin1String(prefix))) return true;
    return false;
}

QString corpus() {
    return wstest::env("WS_FUZZ_CORPUS");
}

} // namespace

class TestFuzzReplay : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyReaderHasACorpus();
    void replay_data();
    void replay();
    void cleanupTestCase() { ws::fuzz::removeScratch(); }
};

void TestFuzzReplay::everyReaderHasACorpus() {
    QStringList readers;
    for (const auto& e : ws::fuzz::entries())
        readers << QString::fromLatin1(e.reader);
    QStringList folders = QDir(corpus()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    folders.sort();
    readers.sort();
    QCOMPARE(folders, readers); // a folder without a target, or a target without seeds
    for (const ws::FileFormat* f : ws::fileFormats()) // a reader without a fuzz target
        QVERIFY2(readers.contains(f->id()), qPrintable(f->id()));
    // and each target is built from a fuzz_<reader>.cpp beside the corpus
    for (const QString& r : readers)
        QVERIFY2(QFile::exists(corpus() + QStringLiteral("/../fuzz_%1.cpp").arg(r)), qPrintable(r));
}

void TestFuzzReplay::replay_data() {
    QTest::addColumn<int>("entry");
    QTest::addColumn<QString>("path");
    const auto& all = ws::fuzz::entries();
    for (int i = 0; i < int(all.size()); ++i) {
        const QString dir = corpus() + QLatin1Char('/') + QLatin1String(all[size_t(i)].reader);
        QDirIterator it(dir, QDir::Files | QDir::Hidden);
        QStringList files;
        while (it.hasNext())
            files << it.next();
        QVERIFY2(!files.isEmpty(), qPrintable(dir + QStringLiteral(" has no inputs")));
        files.sort();
        for (const QString& f : files)
            QTest::newRow(qPrintable(QLatin1String(all[size_t(i)].reader) + QLatin1Char('/') +
                                     QFileInfo(f).fileName()))
                << i << f;
    }
}

void TestFuzzReplay::replay() {
    QFETCH(int, entry);
    QFETCH(QString, path);
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    ws::fuzz::Outcome o;
    {
        // Generous: a sanitizer build is several times slower, and HDF5's isolated
        // structure walk alone may take its 2 s limit.
        wstest::Watchdog dog(path, 120);
        o = ws::fuzz::entries()[size_t(entry)].entry(
            reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size()));
    }
    qInfo("%s: %s", qPrintable(QFileInfo(path).fileName()),
          o.opened
              ? qPrintable(
                    QStringLiteral("opened, %1 of %2 tensors loaded").arg(o.loaded).arg(o.tensors))
              : qPrintable(QStringLiteral("refused: ") + o.error));
    QVERIFY2(o.violation.isEmpty(), qPrintable(o.violation));
    QVERIFY(o.opened != !o.error.isEmpty()); // a file, or a message, never neither
    const QString name = QFileInfo(path).fileName();
    if (name == QLatin1String("external.onnx")) { // its data file is not beside the input
        QVERIFY2(o.error.contains(QLatin1String("external data file external.onnx.data is "
                                                "missing")),
                 qPrintable(o.error));
    } else if (name == QLatin1String("empty.safetensors")) { // a header without tensors
        QVERIFY(o.opened);
        QCOMPARE(o.tensors, 0);
    } else if (!isRegression(name)) {
        QVERIFY2(o.opened, qPrintable(o.error));
        QVERIFY(o.tensors > 0);
        QCOMPARE(o.loaded, o.tensors);
    }
}

QTEST_GUILESS_MAIN(TestFuzzReplay)
#include "tst_fuzzreplay.moc"
