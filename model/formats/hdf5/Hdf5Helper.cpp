// Starting weightscope-hdf5 with QProcess and pumping its pipes in the calling
// thread (QProcess's waitFor* functions need no event loop), with a limit on
// time without progress, and the helper's fate turned into a message.
#include "Hdf5Helper.h"
#include "Hdf5Scan.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <csignal>
#include <mutex>

namespace ws {

namespace {

std::mutex g_limitsMutex;
Hdf5HelperLimits g_limits;

constexpr qint64 kPipeBlock = qint64(1) << 20;
constexpr int kMaxStderr = 64 * 1024;

const char* helperName() {
    return "weightscope-hdf5";
}

bool isProgram(const QString& path) {
    const QFileInfo info(path);
    return info.isFile() && info.isExecutable();
}

QString mib(qint64 bytes) {
    return QString::number((bytes + (1 << 20) - 1) >> 20);
}

} // namespace

void setHdf5HelperLimits(const Hdf5HelperLimits& limits) {
    std::lock_guard<std::mutex> guard(g_limitsMutex);
    g_limits = limits;
}

Hdf5HelperLimits hdf5HelperLimits() {
    std::lock_guard<std::mutex> guard(g_limitsMutex);
    return g_limits;
}

QString hdf5HelperProgram(QString* error) {
    const QString fromEnv = qEnvironmentVariable("WS_HDF5_HELPER");
    if (!fromEnv.isEmpty()) {
        if (isProgram(fromEnv)) return fromEnv;
        *error = QStringLiteral("WS_HDF5_HELPER=%1 is not an executable program").arg(fromEnv);
        return QString();
    }
    QStringList tried;
    if (QCoreApplication::instance()) {
        const QString beside =
            QCoreApplication::applicationDirPath() + QLatin1Char('/') + QLatin1String(helperName());
        if (isProgram(beside)) return beside;
        tried << beside;
    }
#ifdef WS_HDF5_HELPER_BUILD_PATH
    const QString built = QString::fromUtf8(WS_HDF5_HELPER_BUILD_PATH);
    if (isProgram(built)) return built;
    tried << built;
#endif
    *error = QStringLiteral("the HDF5 helper program %1 is missing (looked for %2); set "
                            "WS_HDF5_HELPER to its path")
                 .arg(QLatin1String(helperName()), tried.join(QLatin1String(", ")));
    return QString();
}

namespace {

// The message for a helper that ended without success.
QString failure(const Hdf5HelperRun& run, const QProcess& p, const QByteArray& stderrBytes,
                qint64 budget) {
    const QString said = QString::fromUtf8(stderrBytes).trimmed().section(QLatin1Char('\n'), 0, 0);
    if (p.exitStatus() == QProcess::CrashExit) {
        const int signal = p.exitCode();
        return QStringLiteral("%1: the HDF5 library %2 %3 (signal %4); the file may be damaged")
            .arg(run.file,
                 signal == SIGKILL ? QStringLiteral("was killed") : QStringLiteral("crashed"),
                 run.what)
            .arg(signal);
    }
    switch (p.exitCode()) {
    case kHdf5HelperFailed:
        return QStringLiteral("%1: %2").arg(run.file, said.isEmpty() ? run.what : said);
    case kHdf5HelperOutOfMemory:
        return QStringLiteral("%1: the HDF5 library needed more than the %2 MiB of memory it may "
                              "use %3; the file may be damaged")
            .arg(run.file, mib(budget), run.what);
    default:
        return QStringLiteral("%1: the HDF5 helper failed %2 (exit code %3)%4")
            .arg(run.file, run.what)
            .arg(p.exitCode())
            .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said);
    }
}

} // namespace

bool runHdf5Helper(const Hdf5HelperRun& run, QString* error) {
    QString problem;
    const QString program = hdf5HelperProgram(&problem);
    if (program.isEmpty()) {
        *error = QStringLiteral("%1: cannot %2: %3").arg(run.file, run.what, problem);
        return false;
    }
    const Hdf5HelperLimits limits = hdf5HelperLimits();
    const qint64 budget = limits.memoryBytes > 0 ? limits.memoryBytes : run.memoryBudget;
    QStringList args = run.arguments;
    if (budget > 0) args << QStringLiteral("--memory-budget") << QString::number(budget);

    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    p.setProcessChannelMode(QProcess::SeparateChannels);
    if (!run.input) p.setStandardInputFile(QProcess::nullDevice());
    p.start(run.input ? QIODevice::ReadWrite : QIODevice::ReadOnly);
    if (!p.waitForStarted(limits.timeoutMs)) {
        *error = QStringLiteral("%1: cannot start the HDF5 helper %2: %3")
                     .arg(run.file, program, p.errorString());
        return false;
    }
    QElapsedTimer idle;
    idle.start();
    QByteArray stderrBytes, block;
    bool inputDone = !run.input, stopped = false, timedOut = false;
    for (;;) {
        while (!inputDone && p.bytesToWrite() < 4 * kPipeBlock) {
            block.resize(kPipeBlock);
            const qint64 n = run.input(block.data(), kPipeBlock, &problem);
            if (n < 0) {
                stopped = true;
                break;
            }
            if (n == 0) {
                p.closeWriteChannel();
                inputDone = true;
                break;
            }
            p.write(block.constData(), n);
        }
        while (!stopped && p.bytesAvailable() > 0) {
            idle.restart();
            if (run.into) { // straight into the destination: one copy fewer
                const qint64 room = run.into->size() - *run.received;
                if (room == 0) {
                    problem = QStringLiteral("%1: the HDF5 helper sent more than the %2 bytes "
                                             "expected %3")
                                  .arg(run.file)
                                  .arg(run.into->size())
                                  .arg(run.what);
                    stopped = true;
                    break;
                }
                const qint64 n =
                    p.read(run.into->data() + *run.received, std::min(p.bytesAvailable(), room));
                *run.received += std::max<qint64>(n, 0);
                continue;
            }
            block = p.read(std::min(p.bytesAvailable(), 4 * kPipeBlock));
            if (run.output && !run.output(block.constData(), block.size(), &problem))
                stopped = true;
        }
        if (stderrBytes.size() < kMaxStderr) stderrBytes += p.readAllStandardError();
        if (stopped || p.state() == QProcess::NotRunning) break;
        if (idle.elapsed() > limits.timeoutMs) {
            timedOut = true;
            break;
        }
        const int slice = int(std::clamp<qint64>(limits.timeoutMs - idle.elapsed(), 1, 250));
        const qint64 pending = p.bytesToWrite();
        if (pending > 0)
            p.waitForBytesWritten(slice);
        else
            p.waitForReadyRead(slice);
        if (p.bytesToWrite() < pending) idle.restart();
    }
    if (stopped || timedOut) {
        p.kill();
        p.waitForFinished(5000);
        *error = stopped ? problem
                         : QStringLiteral("%1: the HDF5 library took longer than %2 s %3 and was "
                                          "stopped; the file may be damaged")
                               .arg(run.file)
                               .arg(limits.timeoutMs / 1000.0)
                               .arg(run.what);
        return false;
    }
    p.waitForFinished(-1);
    if (stderrBytes.size() < kMaxStderr) stderrBytes += p.readAllStandardError();
    if (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0) return true;
    *error = failure(run, p, stderrBytes, budget);
    return false;
}

} // namespace ws
