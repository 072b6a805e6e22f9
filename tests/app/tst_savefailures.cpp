// Saves that cannot succeed, for every format that can be saved, through the real
// `weightscope edit FILE -o FILE`: a full disk (a small tmpfs when we may mount one,
// else a file size limit) gives exit 2, a message naming the file and the original
// byte for byte with nothing left beside it; a read-only folder or a read-only file
// is refused before any work with a message saying so (as an unprivileged user,
// since root ignores permission bits).
#include "SaveCases.h"

#include <QTemporaryDir>
#include <pwd.h>
#include <sys/mount.h>
#include <unistd.h>

using wstest::SaveCase;

namespace {

constexpr int kMiB = 4;

// A tmpfs of \a bytes mounted on \a dir while this lives (root only).
class SmallDisk {
public:
    SmallDisk(const QString& dir, qint64 bytes) : m_dir(QFile::encodeName(dir)) {
        const QByteArray options = "size=" + QByteArray::number(bytes);
        m_mounted = ::mount("tmpfs", m_dir.constData(), "tmpfs", 0, options.constData()) == 0;
    }
    ~SmallDisk() {
        if (m_mounted) ::umount2(m_dir.constData(), MNT_DETACH);
    }
    bool mounted() const { return m_mounted; }

private:
    QByteArray m_dir;
    bool m_mounted = false;
};

qint64 folderBytes(const QString& dir) {
    qint64 n = 0;
    for (const QString& name : wstest::fileNames(dir))
        n += (QFileInfo(dir + QLatin1Char('/') + name).size() + 4095) / 4096 * 4096;
    return n;
}

bool copyFolder(const QString& from, const QString& to) {
    for (const QString& name : wstest::fileNames(from))
        if (!QFile::copy(from + QLatin1Char('/') + name, to + QLatin1Char('/') + name))
            return false;
    return true;
}

// Runs `weightscope edit FILE -o FILE EXPR` as the unprivileged user "nobody" when we
// are root (root ignores permission bits), else as ourselves.
wstest::RunResult editAsUser(const QString& file, const QString& expr) {
    const QStringList edit = {QStringLiteral("edit"), file, QStringLiteral("-o"), file, expr};
    if (geteuid() != 0) return wstest::runWeightscope(edit);
    return wstest::runProcess(QStringLiteral("/usr/sbin/runuser"),
                              QStringList{"-u", "nobody", "--", wstest::env("WS_BINARY")} + edit);
}

bool chownAll(const QString& dir, uid_t uid, gid_t gid) {
    for (const QString& name : wstest::fileNames(dir))
        if (::chown(QFile::encodeName(dir + QLatin1Char('/') + name).constData(), uid, gid))
            return false;
    return true;
}

void chmodAll(const QString& dir, QFile::Permissions perms) {
    for (const QString& name : wstest::fileNames(dir))
        QFile::setPermissions(dir + QLatin1Char('/') + name, perms);
}

const QFile::Permissions kReadOnly = QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther;
const QFile::Permissions kReadWrite = kReadOnly | QFile::WriteOwner;
const QFile::Permissions kFolder = kReadOnly | QFile::ExeOwner | QFile::ExeGroup | QFile::ExeOther;

} // namespace

class TestSaveFailures : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void fullDisk_data();
    void fullDisk();
    void readOnly_data();
    void readOnly();

private:
    QTemporaryDir m_sources; // each case's files, made once
};

void TestSaveFailures::initTestCase() {
    QVERIFY(m_sources.isValid());
    for (const SaveCase& c : wstest::saveCases()) {
        const QString dir = m_sources.filePath(c.format);
        QVERIFY(QDir().mkpath(dir));
        QString output;
        QVERIFY2(wstest::makeSaveCaseFiles(c, dir, kMiB, &output), qPrintable(output));
    }
    if (geteuid() == 0) { // nobody must reach the files: open the folders
        QFile::setPermissions(m_sources.path(), kFolder);
        QVERIFY(QFile::exists(QStringLiteral("/usr/sbin/runuser")));
        QVERIFY(getpwnam("nobody"));
    }
}

static void addCases() {
    QTest::addColumn<int>("index");
    const QList<SaveCase> cases = wstest::saveCases();
    for (int i = 0; i < cases.size(); ++i)
        QTest::newRow(qPrintable(cases[i].format)) << i;
}

void TestSaveFailures::fullDisk_data() {
    addCases();
}

void TestSaveFailures::fullDisk() {
    QFETCH(int, index);
    const SaveCase c = wstest::saveCases()[index];
    const QString source = m_sources.filePath(c.format);
    QTemporaryDir tmp;
    const QString dir = tmp.path();
    // Room for the files and half of the file the save rewrites.
    const qint64 half = QFileInfo(source + QLatin1Char('/') + c.rewritten).size() / 2;
    SmallDisk disk(dir, folderBytes(source) + half + 64 * 1024);
    QVERIFY(copyFolder(source, dir));
    const QString file = dir + QLatin1Char('/') + c.file;
    const auto before = wstest::fingerprint(dir);
    wstest::RunResult r;
    if (disk.mounted()) {
        qInfo("%s: a tmpfs with room for half the new file", qPrintable(c.format));
        r = wstest::runWeightscope(
            {QStringLiteral("edit"), file, QStringLiteral("-o"), file, c.expr});
    } else { // not root: a file size limit (ulimit -f counts KiB) does the same
        qInfo("%s: no tmpfs here (not root); a file size limit of half the new file",
              qPrintable(c.format));
        r = wstest::runProcess(QStringLiteral("/bin/bash"),
                               {QStringLiteral("-c"),
                                QStringLiteral("ulimit -f %1; exec \"$0\" edit \"$1\" -o \"$1\" "
                                               "\"$2\"")
                                    .arg(half / 1024),
                                wstest::env("WS_BINARY"), file, c.expr});
    }
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(dir + QLatin1Char('/') + c.rewritten + QLatin1String(": cannot save")),
             qPrintable(r.err));
    QCOMPARE(wstest::fingerprint(dir), before);
}

void TestSaveFailures::readOnly_data() {
    QTest::addColumn<int>("index");
    QTest::addColumn<bool>("folderReadOnly");
    const QList<SaveCase> cases = wstest::saveCases();
    for (int i = 0; i < cases.size(); ++i) {
        QTest::newRow(qPrintable(cases[i].format + QLatin1String(" read-only folder")))
            << i << true;
        QTest::newRow(qPrintable(cases[i].format + QLatin1String(" read-only file"))) << i << false;
    }
}

void TestSaveFailures::readOnly() {
    QFETCH(int, index);
    QFETCH(bool, folderReadOnly);
    const SaveCase c = wstest::saveCases()[index];
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("ro"));
    QVERIFY(QDir().mkpath(dir));
    QVERIFY(copyFolder(m_sources.filePath(c.format), dir));
    // The user owns the files; the folder is theirs only when the file is what is read-only.
    if (geteuid() == 0) {
        const passwd* nobody = getpwnam("nobody");
        QVERIFY(nobody);
        QFile::setPermissions(tmp.path(), kFolder);
        QVERIFY(chownAll(dir, nobody->pw_uid, nobody->pw_gid));
        if (!folderReadOnly)
            QCOMPARE(::chown(QFile::encodeName(dir).constData(), nobody->pw_uid, nobody->pw_gid),
                     0);
    }
    chmodAll(dir, folderReadOnly ? kReadWrite : kReadOnly);
    QFile::setPermissions(dir, folderReadOnly ? kFolder : kFolder | QFile::WriteOwner);
    const QString file = dir + QLatin1Char('/') + c.file;
    const auto before = wstest::fingerprint(dir);

    const wstest::RunResult r = editAsUser(file, c.expr);
    QFile::setPermissions(dir, kFolder | QFile::WriteOwner); // so that the folder can go
    QCOMPARE(r.code, 2);
    const QString expected =
        folderReadOnly ? QString(file + QLatin1String(": cannot save: the folder ") + dir +
                                 QLatin1String(" is read-only"))
                       : QString(file + QLatin1String(": cannot save: the file is read-only"));
    QVERIFY2(r.err.startsWith(QLatin1String("weightscope: ") + expected), qPrintable(r.err));
    QCOMPARE(wstest::fingerprint(dir), before);
}

QTEST_GUILESS_MAIN(TestSaveFailures)
#include "tst_savefailures.moc"
