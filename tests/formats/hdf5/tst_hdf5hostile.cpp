// Damaged HDF5 files: truncations and seeded byte flips of every HDF5 fixture.
// Each must either open (and then load every tensor or fail with a message) or
// fail with a message naming the file; nothing may crash or hang. libhdf5 runs in
// the helper process, whose crashes and hangs must come back as such messages.
#include "Hdf5Format.h"
#include "TestUtil.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <random>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ws;

namespace {

QStringList fixtures() {
    QStringList out;
    QDirIterator it(wstest::fixture(QStringLiteral("hdf5")), {QStringLiteral("*.h5")}, QDir::Files);
    while (it.hasNext())
        out << it.next();
    out.sort();
    return out;
}

struct Outcome {
    int opened = 0, refused = 0, loaded = 0, loadFailed = 0;
    int crashedOpening = 0, crashedLoading = 0, hung = 0;
    int caughtCrashes = 0, caughtLoops = 0; ///< libhdf5 crashes and hangs in the helper
};

// Opens \a bytes as a file and loads every tensor; false when an error was empty.
bool tryOpen(const QString& path, const QByteArray& bytes, Outcome* outcome, int* stage) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    f.write(bytes);
    f.close();
    QString error;
    *stage = 1;
    auto file = Hdf5Format().read(path, &error);
    if (!file) {
        ++outcome->refused;
        if (error.contains(QLatin1String("crashed"))) ++outcome->caughtCrashes;
        if (error.contains(QLatin1String("took longer than"))) ++outcome->caughtLoops;
        return error.startsWith(path);
    }
    ++outcome->opened;
    *stage = 2;
    for (const auto& t : file->tensors) {
        std::vector<double> values;
        QString loadError;
        if (t->valuesDouble(&values, &loadError)) {
            ++outcome->loaded;
        } else {
            ++outcome->loadFailed;
            if (!loadError.startsWith(path)) return false;
            if (loadError.contains(QLatin1String("crashed"))) ++outcome->caughtCrashes;
            if (loadError.contains(QLatin1String("took longer than"))) ++outcome->caughtLoops;
        }
    }
    return true;
}

// Runs tryOpen in a child process so that a crash inside libhdf5 is counted, not
// fatal; the child's counts come back through shared memory. False on an empty
// error message.
bool tryOpenIsolated(const QString& path, const QByteArray& bytes, Outcome* total) {
    struct Shared {
        Outcome outcome;
        int stage;
        int ok;
    };
    void* mem =
        mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return false;
    auto* shared = new (mem) Shared{};
    const pid_t pid = fork();
    if (pid == 0) {
        for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL})
            signal(sig, SIG_DFL); // no Qt Test crash report from the child
        setpgid(0, 0);            // a group, so that a hung child goes with its own children
        shared->ok = tryOpen(path, bytes, &shared->outcome, &shared->stage) ? 1 : 0;
        _exit(0);
    }
    int status = 0;
    QElapsedTimer timer;
    timer.start();
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (timer.elapsed() > 20000) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ++total->hung;
            break;
        }
        usleep(200);
    }
    const Outcome& o = shared->outcome;
    total->opened += o.opened;
    total->refused += o.refused;
    total->loaded += o.loaded;
    total->loadFailed += o.loadFailed;
    total->caughtCrashes += o.caughtCrashes;
    total->caughtLoops += o.caughtLoops;
    bool ok = true;
    if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL) {
        ++(shared->stage == 2 ? total->crashedLoading : total->crashedOpening);
    } else if (WIFEXITED(status)) {
        ok = shared->ok == 1;
    }
    munmap(mem, sizeof(Shared));
    return ok;
}

void report(const QString& fixture, const char* what, const Outcome& o, qint64 ms) {
    qInfo("%s: %s: %d opened, %d refused, %d tensors loaded, %d load errors (%d HDF5 crashes "
          "and %d HDF5 hangs caught in the helper); uncaught: %d crashes opening, %d loading, "
          "%d hangs; %lld ms",
          qPrintable(QFileInfo(fixture).fileName()), what, o.opened, o.refused, o.loaded,
          o.loadFailed, o.caughtCrashes, o.caughtLoops, o.crashedOpening, o.crashedLoading, o.hung,
          ms);
}

} // namespace

class TestHdf5Hostile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { setHdf5StructureTimeout(3000); }
    void truncations_data() { fixtureRows(); }
    void truncations();
    void byteFlips_data() { fixtureRows(); }
    void byteFlips();

private:
    // One row per fixture, so that a slow machine is judged per file, not per function.
    static void fixtureRows() {
        QTest::addColumn<QString>("fx");
        for (const QString& fx : fixtures())
            QTest::newRow(qPrintable(QFileInfo(fx).fileName())) << fx;
    }
};

void TestHdf5Hostile::truncations() {
    QFETCH(QString, fx);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cut.h5"));
    QFile in(fx);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray bytes = in.readAll();
    Outcome o;
    QElapsedTimer timer;
    timer.start();
    const int n = int(bytes.size());
    for (int cut = 0; cut < n; cut += (cut < 64 ? 7 : cut < 4096 ? 61 : 397))
        QVERIFY2(tryOpenIsolated(path, bytes.left(cut), &o), qPrintable(fx));
    report(fx, "truncations", o, timer.elapsed());
    QCOMPARE(o.hung, 0);
    QCOMPARE(o.crashedOpening, 0);
    QCOMPARE(o.crashedLoading, 0);
}

void TestHdf5Hostile::byteFlips() {
    QFETCH(QString, fx);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("flip.h5"));
    QFile in(fx);
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray original = in.readAll();
    std::mt19937 rng(uint32_t(qHash(QFileInfo(fx).fileName())) ^ 0x5eed);
    Outcome o;
    QElapsedTimer timer;
    timer.start();
    // Flips in the first 4 KiB hit the superblock and root structures; the rest anywhere.
    for (int round = 0; round < 300; ++round) {
        QByteArray bytes = original;
        const int flips = 1 + int(rng() % 4);
        for (int k = 0; k < flips; ++k) {
            const int span = round % 2 ? int(bytes.size()) : std::min(4096, int(bytes.size()));
            const int at = int(rng() % uint32_t(span));
            bytes[at] = char(bytes[at] ^ char(1 + rng() % 255));
        }
        QVERIFY2(tryOpenIsolated(path, bytes, &o),
                 qPrintable(QStringLiteral("%1 round %2").arg(fx).arg(round)));
    }
    report(fx, "byte flips", o, timer.elapsed());
    QCOMPARE(o.hung, 0);
    QCOMPARE(o.crashedOpening, 0);
    QCOMPARE(o.crashedLoading, 0);
}

QTEST_GUILESS_MAIN(TestHdf5Hostile)
#include "tst_hdf5hostile.moc"
