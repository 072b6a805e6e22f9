// Saves that are interrupted or disturbed midway, for every format that can be
// saved, through the real `weightscope edit FILE -o FILE` on files big enough
// (160 MiB, made by the real tools) that the test catches the save while it
// writes its temporary file: killed with SIGKILL there, the original stays byte
// for byte, no temporary file is left once the file is opened again, and that
// open and the next save work; rewritten by another program there, the save is
// refused and the other program's version stays.
#include "SaveCases.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <memory>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

using wstest::SaveCase;

namespace {

constexpr int kMiB = 160;

// The temporary file \a pid has open in \a dir: a file that is none of \a
// originals (QSaveFile's unnamed one shows as "DIR/#INODE (deleted)"). Its name and
// its size so far, or an empty name.
struct OpenTemporary {
    QString name;
    qint64 size = 0;
};
OpenTemporary openTemporary(qint64 pid, const QString& dir, const QStringList& originals) {
    const QByteArray fdDir = QStringLiteral("/proc/%1/fd").arg(pid).toLocal8Bit();
    OpenTemporary out;
    DIR* d = opendir(fdDir.constData());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        char target[4096];
        const QByteArray link = fdDir + '/' + e->d_name;
        const ssize_t n = readlink(link.constData(), target, sizeof target - 1);
        if (n <= 0) continue;
        const QString path = QString::fromLocal8Bit(target, int(n));
        if (!path.startsWith(dir + QLatin1Char('/'))) continue;
        const QString name = path.mid(dir.size() + 1);
        struct stat st {};
        if (originals.contains(name) || ::stat(link.constData(), &st) != 0) continue;
        out = {name, qint64(st.st_size)};
        break;
    }
    closedir(d);
    return out;
}

// True while \a pid runs (not yet a zombie).
bool running(qint64 pid) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) return false;
    const QByteArray line = stat.readAll();
    const int close = line.lastIndexOf(')');
    return close > 0 && close + 2 < line.size() && line.at(close + 2) != 'Z' &&
           line.at(close + 2) != 'X';
}

enum class Caught { WritingTemporary, Ended, TimedOut };

// Waits until the process \a pid has its temporary file in \a dir open and has
// written at least \a bytes into it: the middle of the save.
Caught waitForSaveMidway(qint64 pid, const QString& dir, const QStringList& originals, qint64 bytes,
                         QString* temporary) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 300000) {
        if (!running(pid)) return Caught::Ended;
        const OpenTemporary t = openTemporary(pid, dir, originals);
        if (!t.name.isEmpty() && t.size >= bytes) {
            *temporary = t.name;
            return Caught::WritingTemporary;
        }
        usleep(100);
    }
    return Caught::TimedOut;
}

QString describe(Caught c, QProcess& p) {
    if (c == Caught::TimedOut) return QStringLiteral("no temporary file within 5 minutes");
    return QStringLiteral("the save ended before it could be caught midway (exit %1: %2); "
                          "the file is too small for this machine")
        .arg(p.exitCode())
        .arg(QString::fromLocal8Bit(p.readAllStandardError()));
}

QString secondEdit(const SaveCase& c) {
    QString e = c.expr;
    return e.replace(QStringLiteral("= 1"), QStringLiteral("= 2"));
}

} // namespace

class TestCrashSafety : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void killedMidSave_data();
    void killedMidSave();
    void rewrittenDuringSave_data();
    void rewrittenDuringSave();
    void staleTemporaryFilesAreRemoved();

private:
    // A folder with \a c's big files, made once and shared by both tests.
    QString folder(const SaveCase& c);
    std::map<QString, std::unique_ptr<QTemporaryDir>> m_dirs;
};

QString TestCrashSafety::folder(const SaveCase& c) {
    auto& dir = m_dirs[c.format];
    if (!dir) {
        dir = std::make_unique<QTemporaryDir>();
        QString output;
        if (!wstest::makeSaveCaseFiles(c, dir->path(), kMiB, &output)) {
            qWarning("making %s files failed: %s", qPrintable(c.format), qPrintable(output));
            return QString();
        }
    }
    return QFileInfo(dir->path()).canonicalFilePath();
}

static void addCases() {
    QTest::addColumn<int>("index");
    const QList<SaveCase> cases = wstest::saveCases();
    for (int i = 0; i < cases.size(); ++i)
        QTest::newRow(qPrintable(cases[i].format)) << i;
}

void TestCrashSafety::killedMidSave_data() {
    addCases();
}

void TestCrashSafety::killedMidSave() {
    QFETCH(int, index);
    const SaveCase c = wstest::saveCases()[index];
    const QString dir = folder(c);
    QVERIFY(!dir.isEmpty());
    const QString file = dir + QLatin1Char('/') + c.file;
    const QStringList originals = wstest::fileNames(dir);
    const auto before = wstest::fingerprint(dir);

    QProcess p;
    p.start(wstest::env("WS_BINARY"),
            {QStringLiteral("edit"), file, QStringLiteral("-o"), file, c.expr});
    QVERIFY(p.waitForStarted());
    QString temporary;
    const Caught caught =
        waitForSaveMidway(p.processId(), dir, originals, qint64(1) << 20, &temporary);
    if (caught == Caught::WritingTemporary) ::kill(pid_t(p.processId()), SIGKILL);
    QVERIFY(p.waitForFinished(60000));
    if (caught != Caught::WritingTemporary) QFAIL(qPrintable(describe(caught, p)));
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);
    qInfo("%s: killed while writing %s", qPrintable(c.format), qPrintable(temporary));

    // The original, byte for byte. QSaveFile's temporary file had no name, so nothing
    // is left; AtomicTempFile's named one may be, until the file is opened again.
    QStringList left = wstest::fileNames(dir);
    for (const QString& name : originals)
        left.removeOne(name);
    if (c.namedTemp) {
        QVERIFY(left.size() <= 1);
        for (const QString& name : left)
            QVERIFY2(name.startsWith(QLatin1Char('.') + c.file + QLatin1String(".wstmp-")) &&
                         name.size() == c.file.size() + 14,
                     qPrintable(name));
    } else {
        QCOMPARE(left, QStringList());
    }
    auto now = wstest::fingerprint(dir);
    for (const QString& name : left)
        now.remove(name);
    QCOMPARE(now, before);

    // The next open works and clears what the killed save left; so does the next save.
    const wstest::RunResult info = wstest::runWeightscope({QStringLiteral("info"), file});
    QVERIFY2(info.code == 0, qPrintable(info.err));
    QVERIFY(info.out.contains(c.tensor));
    QCOMPARE(wstest::fileNames(dir), originals);
    QCOMPARE(wstest::fingerprint(dir), before);
    const wstest::RunResult saved = wstest::runWeightscope(
        {QStringLiteral("edit"), file, QStringLiteral("-o"), file, secondEdit(c)});
    QVERIFY2(saved.code == 0, qPrintable(saved.err));
    const QJsonObject stats = wstest::tensorStats(file, c.tensor);
    QCOMPARE(stats.value(QStringLiteral("max")).toDouble(), 2.0);
    QCOMPARE(stats.value(QStringLiteral("min")).toDouble(), c.format == "npy" ? 0.0 : 2.0);
    QCOMPARE(wstest::fileNames(dir), originals);
}

void TestCrashSafety::rewrittenDuringSave_data() {
    addCases();
}

void TestCrashSafety::rewrittenDuringSave() {
    QFETCH(int, index);
    const SaveCase c = wstest::saveCases()[index];
    const QString dir = folder(c);
    QVERIFY(!dir.isEmpty());
    const QString file = dir + QLatin1Char('/') + c.file;
    const QStringList originals = wstest::fileNames(dir);

    QProcess p;
    p.start(wstest::env("WS_BINARY"),
            {QStringLiteral("edit"), file, QStringLiteral("-o"), file,
             QString(c.expr).replace(QStringLiteral("= 1"), QStringLiteral("= 3"))});
    QVERIFY(p.waitForStarted());
    QString temporary;
    const Caught caught = waitForSaveMidway(p.processId(), dir, originals, 1, &temporary);
    if (caught == Caught::WritingTemporary) {
        // Another program rewrites part of the file in place, as a training run might.
        QFile other(dir + QLatin1Char('/') + c.rewritten);
        QVERIFY(other.open(QIODevice::ReadWrite));
        QVERIFY(other.seek(other.size() / 2));
        QCOMPARE(other.write(QByteArray(4096, '\x55')), qint64(4096));
        other.close();
    }
    auto rewritten = wstest::fingerprint(dir);
    for (const QString& name : rewritten.keys())
        if (!originals.contains(name)) rewritten.remove(name); // the save's temporary file
    QVERIFY(p.waitForFinished(300000));
    if (caught != Caught::WritingTemporary) QFAIL(qPrintable(describe(caught, p)));
    const QString err = QString::fromLocal8Bit(p.readAllStandardError());
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 2);
    QVERIFY2(err.contains(c.rewritten + QLatin1String(" was changed by another program")),
             qPrintable(err));
    QCOMPARE(wstest::fingerprint(dir), rewritten); // the other program's version
    QCOMPARE(wstest::fileNames(dir), originals);
}

void TestCrashSafety::staleTemporaryFilesAreRemoved() {
    // A killed HDF5 save leaves ".m.h5.wstmp-XXXXXX"; opening or saving m.h5 removes
    // such files unless a live save holds their lock, and nothing else.
    const SaveCase c = wstest::saveCases()[6];
    QCOMPARE(c.format, QStringLiteral("hdf5"));
    QTemporaryDir tmp;
    QString output;
    QVERIFY2(wstest::makeSaveCaseFiles(c, tmp.path(), 1, &output), qPrintable(output));
    const QDir dir(tmp.path());
    const QStringList planted = {".m.h5.wstmp-Ab12cd", ".m.h5.wstmp-live01", ".m.h5.wstmp-toolong",
                                 "m.h5.wstmp-Ab12cd", ".other.h5.wstmp-Ab12cd"};
    for (const QString& name : planted) {
        QFile f(dir.filePath(name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("partial");
    }
    const int live = ::open(QFile::encodeName(dir.filePath(planted[1])).constData(), O_RDWR);
    QVERIFY(live >= 0);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    QCOMPARE(::fcntl(live, F_OFD_SETLK, &lock), 0); // as a save in progress holds it

    const QString file = dir.filePath(c.file);
    QCOMPARE(wstest::runWeightscope({QStringLiteral("info"), file}).code, 0);
    QStringList expected = {c.file};
    expected << planted.mid(1);
    expected.sort();
    QCOMPARE(wstest::fileNames(dir.path()), expected);

    ::close(live); // that save is gone now; the next save cleans up after it
    const wstest::RunResult saved =
        wstest::runWeightscope({QStringLiteral("edit"), file, QStringLiteral("-o"), file, c.expr});
    QVERIFY2(saved.code == 0, qPrintable(saved.err));
    expected.removeOne(planted[1]);
    QCOMPARE(wstest::fileNames(dir.path()), expected);
}

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
