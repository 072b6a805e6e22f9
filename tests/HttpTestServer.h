// A real HTTP server for the remote-file tests: nginx on 127.0.0.1 with the config
// tests/net/nginx.conf.in, a free port, its pid, logs and files in a temporary
// folder, stopped with the test. accessLog() returns what it served (with the bytes
// it sent for each request) so that tests can assert what crossed the wire.
#pragma once

#include "TestUtil.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wstest {

/// A TCP port on 127.0.0.1 that was free a moment ago (0 when none), or, with
/// \a connectTo, whether something listens on that port now.
inline int loopbackPort(int connectTo = 0) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(quint16(connectTo));
    socklen_t len = sizeof a;
    int port = 0;
    if (connectTo) {
        port = ::connect(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 ? connectTo : 0;
    } else if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
               ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
        port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
}

/// One request as nginx logged it.
struct ServedRequest {
    QString uri;
    int status = 0;
    qint64 bytesSent = 0; ///< headers and body
    QString range;
};

class HttpTestServer {
public:
    /// Serves \a root; check ok() (and error()) after construction.
    explicit HttpTestServer(const QString& root) : m_root(root) { start(); }
    ~HttpTestServer() {
        if (m_nginx.state() != QProcess::NotRunning) {
            m_nginx.terminate();
            if (!m_nginx.waitForFinished(5000)) m_nginx.kill();
            m_nginx.waitForFinished(5000);
        }
    }
    bool ok() const { return m_ok; }
    QString error() const { return m_error; }
    int port() const { return m_port; }
    /// "http://127.0.0.1:PORT/LOCATION/" + \a rel (location: files, norange, ...).
    QString url(const QString& location, const QString& rel) const {
        return QStringLiteral("http://127.0.0.1:%1/%2/%3").arg(m_port).arg(location, rel);
    }
    QString root() const { return m_root; }

    QList<ServedRequest> accessLog() const {
        QList<ServedRequest> out;
        QFile f(m_tmp.filePath(QStringLiteral("access.log")));
        if (!f.open(QIODevice::ReadOnly)) return out;
        for (const QByteArray& raw : f.readAll().split('\n')) {
            const QList<QByteArray> parts = raw.split(' ');
            if (parts.size() < 4) continue;
            ServedRequest r;
            r.uri = QString::fromUtf8(parts[0]);
            r.status = parts[1].toInt();
            r.bytesSent = parts[2].toLongLong();
            r.range = QString::fromUtf8(parts.mid(3).join(' ')).remove(QLatin1Char('"'));
            out << r;
        }
        return out;
    }
    /// Requests whose URI starts with \a prefix, once there are at least \a atLeast.
    QList<ServedRequest> served(const QString& prefix, int atLeast = 0) const {
        QElapsedTimer timer;
        timer.start();
        for (;;) {
            QList<ServedRequest> out;
            for (const ServedRequest& r : accessLog())
                if (r.uri.startsWith(prefix)) out << r;
            if (out.size() >= atLeast || timer.elapsed() > 5000) return out;
            QThread::msleep(20);
        }
    }
    /// Bytes sent for requests whose URI starts with \a prefix (all with an empty one),
    /// once at least \a atLeast (what the client received) are logged.
    qint64 bytesSent(const QString& prefix = QString(), qint64 atLeast = 0) const {
        QElapsedTimer timer;
        timer.start();
        for (;;) {
            qint64 total = 0;
            for (const ServedRequest& r : accessLog())
                if (r.uri.startsWith(prefix)) total += r.bytesSent;
            if (total >= atLeast || timer.elapsed() > 5000) return total;
            QThread::msleep(20);
        }
    }
    void clearLog() const {
        QFile f(m_tmp.filePath(QStringLiteral("access.log")));
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) f.close();
    }

private:
    void start() {
        for (int attempt = 0; attempt < 5 && !m_ok; ++attempt) {
            m_port = loopbackPort(); // released just before nginx binds it
            if (!m_port) continue;
            QFile in(env("WS_NET") + QStringLiteral("/nginx.conf.in"));
            if (!in.open(QIODevice::ReadOnly)) {
                m_error = QStringLiteral("cannot read %1").arg(in.fileName());
                return;
            }
            QString conf = QString::fromUtf8(in.readAll());
            conf.replace(QStringLiteral("@TMP@"), m_tmp.path())
                .replace(QStringLiteral("@ROOT@"), m_root)
                .replace(QStringLiteral("@PORT@"), QString::number(m_port));
            QFile out(m_tmp.filePath(QStringLiteral("nginx.conf")));
            if (!out.open(QIODevice::WriteOnly) || out.write(conf.toUtf8()) < 0) return;
            out.close();
            m_nginx.setProcessChannelMode(QProcess::MergedChannels);
            m_nginx.start(QStringLiteral("/usr/sbin/nginx"),
                          {QStringLiteral("-p"), m_tmp.path(), QStringLiteral("-e"),
                           m_tmp.filePath(QStringLiteral("error.log")), QStringLiteral("-c"),
                           out.fileName()});
            if (!m_nginx.waitForStarted(5000)) {
                m_error = QStringLiteral("/usr/sbin/nginx does not start (install nginx-light)");
                return;
            }
            QElapsedTimer timer;
            timer.start();
            while (timer.elapsed() < 5000 && m_nginx.state() == QProcess::Running) {
                if (loopbackPort(m_port)) {
                    m_ok = true;
                    break;
                }
                QThread::msleep(50);
            }
            if (!m_ok) {
                QFile log(m_tmp.filePath(QStringLiteral("error.log")));
                log.open(QIODevice::ReadOnly);
                m_error = QStringLiteral("nginx did not start: %1 %2")
                              .arg(QString::fromUtf8(m_nginx.readAll()),
                                   QString::fromUtf8(log.readAll()));
                m_nginx.kill();
                m_nginx.waitForFinished(5000);
            }
        }
    }

    QString m_root;
    QTemporaryDir m_tmp;
    QProcess m_nginx;
    int m_port = 0;
    bool m_ok = false;
    QString m_error;
};

} // namespace wstest
