// Temporary files are created unlinked (O_TMPFILE, else created and removed at
// once): a crash leaves nothing behind, and the kernel frees the space.
#include "Blob.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <unistd.h>

namespace ws {

namespace {

std::atomic<int64_t> g_budget{int64_t(256) << 20};
std::atomic<int64_t> g_inMemory{0};
std::atomic<int64_t> g_onDisk{0};
std::mutex g_folderMutex;
QString g_folder;

/// Blobs this small always stay in memory (a cell, a row): files only pay off for big runs.
constexpr int64_t kAlwaysInMemory = int64_t(1) << 20;

QString errnoText() {
    return QString::fromLocal8Bit(std::strerror(errno));
}

int makeTempFile(QString* error) {
    const QString folder = EditMemory::spillFolder();
    const QByteArray dir = QFile::encodeName(folder);
#ifdef O_TMPFILE
    int fd = ::open(dir.constData(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
#endif
    QByteArray tmpl =
        QFile::encodeName(QDir(folder).filePath(QStringLiteral("weightscope-edit-XXXXXX")));
    int fd2 = ::mkstemp(tmpl.data());
    if (fd2 < 0) {
        if (error)
            *error = QStringLiteral("cannot create a temporary file in %1 for edit data: %2")
                         .arg(folder, errnoText());
        return -1;
    }
    ::unlink(tmpl.constData());
    ::fcntl(fd2, F_SETFD, FD_CLOEXEC);
    return fd2;
}

} // namespace

void EditMemory::setBudget(int64_t bytes) {
    g_budget = std::max<int64_t>(bytes, 0);
}
int64_t EditMemory::budget() {
    return g_budget;
}
int64_t EditMemory::inMemory() {
    return g_inMemory;
}
int64_t EditMemory::onDisk() {
    return g_onDisk;
}
void EditMemory::setSpillFolder(const QString& folder) {
    std::lock_guard<std::mutex> lock(g_folderMutex);
    g_folder = folder;
}
QString EditMemory::spillFolder() {
    std::lock_guard<std::mutex> lock(g_folderMutex);
    return g_folder.isEmpty() ? QDir::tempPath() : g_folder;
}

std::unique_ptr<Blob> Blob::create(int64_t size, QString* error) {
    std::unique_ptr<Blob> b(new Blob);
    b->m_size = std::max<int64_t>(size, 0);
    if (b->m_size <= kAlwaysInMemory || g_inMemory + b->m_size <= g_budget) {
        b->m_memory.reset(new (std::nothrow) char[size_t(b->m_size)]());
        if (b->m_memory) {
            g_inMemory += b->m_size;
            return b;
        }
    }
    b->m_fd = makeTempFile(error);
    if (b->m_fd < 0) return nullptr;
    if (b->m_size > 0 && ::ftruncate(b->m_fd, off_t(b->m_size)) != 0) { // sparse: zeros
        if (error)
            *error = QStringLiteral("cannot reserve %1 bytes for edit data in %2: %3")
                         .arg(b->m_size)
                         .arg(EditMemory::spillFolder(), errnoText());
        return nullptr;
    }
    g_onDisk += b->m_size;
    return b;
}

Blob::~Blob() {
    if (m_memory) g_inMemory -= m_size;
    if (m_fd >= 0) {
        g_onDisk -= m_size;
        ::close(m_fd);
    }
}

bool Blob::read(int64_t offset, int64_t n, char* dst, QString* error) const {
    if (n <= 0) return true;
    if (m_memory) {
        std::memcpy(dst, m_memory.get() + offset, size_t(n));
        return true;
    }
    while (n > 0) {
        const ssize_t got = ::pread(m_fd, dst, size_t(n), off_t(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            if (error) *error = QStringLiteral("cannot read edit data back: %1").arg(errnoText());
            return false;
        }
        dst += got;
        offset += got;
        n -= got;
    }
    return true;
}

bool Blob::write(int64_t offset, int64_t n, const char* src, QString* error) {
    if (n <= 0) return true;
    if (m_memory) {
        std::memcpy(m_memory.get() + offset, src, size_t(n));
        return true;
    }
    while (n > 0) {
        const ssize_t put = ::pwrite(m_fd, src, size_t(n), off_t(offset));
        if (put < 0 && errno == EINTR) continue;
        if (put <= 0) {
            if (error)
                *error = QStringLiteral("cannot keep edit data in %1: %2")
                             .arg(EditMemory::spillFolder(), errnoText());
            return false;
        }
        src += put;
        offset += put;
        n -= put;
    }
    return true;
}

} // namespace ws
