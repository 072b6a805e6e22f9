// Helpers shared by the tests: fixture paths, reading .npy expectations, and
// running the real Python tools.
#pragma once

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtTest>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace wstest {

inline QString env(const char* name) {
    return QString::fromLocal8Bit(qgetenv(name));
}
inline QString fixture(const QString& rel) {
    return env("WS_FIXTURES") + QLatin1Char('/') + rel;
}
inline QString python() {
    QString p = env("WS_PYTHON");
    return p.isEmpty() ? QStringLiteral("/usr/bin/python3") : p;
}

/// A simple .npy (little-endian, C order) read as doubles, for expected values.
struct Npy {
    QString descr;
    std::vector<int64_t> shape;
    std::vector<double> values;
    bool fortran = false;
};

/// Reads \a path; returns false when it is not a .npy this helper understands.
bool readNpy(const QString& path, Npy* out);

/// Runs `python3 args...`; returns exit code, stdout and stderr joined in \a output.
inline int runPython(const QStringList& args, QString* output, int timeoutMs = 120000) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(python(), args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        if (output) *output = QStringLiteral("timeout");
        return -1;
    }
    if (output) *output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

/// Runs tests/scripts/\a name with \a args (the check scripts that load our files with
/// the real tools); its output, trimmed ("OK" when the check passed).
inline QString runCheckScript(const QString& name, const QStringList& args,
                              int timeoutMs = 300000) {
    QString out;
    runPython(QStringList{env("WS_SCRIPTS") + QLatin1Char('/') + name} + args, &out, timeoutMs);
    return out.trimmed();
}

/// Exit code and output of a finished process.
struct RunResult {
    int code = -1; ///< -1 when it crashed or timed out
    QString out, err;
};

/// Runs \a program with \a args and waits for it.
inline RunResult runProcess(const QString& program, const QStringList& args,
                            int timeoutMs = 120000) {
    QProcess p;
    p.start(program, args);
    RunResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        r.err = QStringLiteral("timeout");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

/// Guards against a hang, not a slow run: aborts the test process (a failure that
/// names \a what) unless it goes out of scope within \a seconds. Tests assert
/// values, never timings; pick a bound that only a hang or a blow-up exceeds,
/// also in the sanitizer build.
class Watchdog {
public:
    Watchdog(const QString& what, int seconds)
        : m_what(what.toLocal8Bit()), m_thread([this, seconds] {
              std::unique_lock<std::mutex> lock(m_mutex);
              if (!m_done.wait_for(lock, std::chrono::seconds(seconds),
                                   [this] { return m_over; })) {
                  std::fprintf(stderr, "FAIL: %s took over %d s: a hang\n", m_what.constData(),
                               seconds);
                  std::abort();
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_over = true;
        }
        m_done.notify_one();
        m_thread.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    QByteArray m_what;
    std::mutex m_mutex;
    std::condition_variable m_done;
    bool m_over = false;
    std::thread m_thread;
};

/// Runs the weightscope binary under test (WS_BINARY).
inline RunResult runWeightscope(const QStringList& args) {
    return runProcess(env("WS_BINARY"), args);
}

} // namespace wstest

#include "TestUtilNpy.h"
