// The range driver: pread at offset + address, an end of file at the range's
// size, and no writing. Addresses HDF5 reports (dataset offsets) are relative to
// the range's start.
#include "RangeDriver.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ws {

namespace {

struct RangeInfo {
    qint64 offset = 0;
    qint64 size = 0;
};

struct RangeFile {
    H5FD_t base; // first: HDF5 casts between the two
    int fd = -1;
    RangeInfo range;
    haddr_t eoa = 0;
    dev_t device = 0;
    ino_t inode = 0;
};

void* copyInfo(const void* info) {
    auto* copy = static_cast<RangeInfo*>(std::malloc(sizeof(RangeInfo)));
    if (copy) std::memcpy(copy, info, sizeof(RangeInfo));
    return copy;
}

herr_t freeInfo(void* info) {
    std::free(info);
    return 0;
}

void* getInfo(H5FD_t* file) {
    return copyInfo(&reinterpret_cast<RangeFile*>(file)->range);
}

H5FD_t* openRange(const char* name, unsigned flags, hid_t fapl, haddr_t) {
    const auto* info = static_cast<const RangeInfo*>(H5Pget_driver_info(fapl));
    if (!name || !info || (flags & (H5F_ACC_RDWR | H5F_ACC_TRUNC | H5F_ACC_CREAT))) return nullptr;
    const int fd = ::open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat st;
    if (::fstat(fd, &st) != 0 || info->offset < 0 || info->size < 0 ||
        info->offset > qint64(st.st_size) - info->size) {
        ::close(fd);
        return nullptr;
    }
    auto* file = new (std::nothrow) RangeFile();
    if (!file) {
        ::close(fd);
        return nullptr;
    }
    file->fd = fd;
    file->range = *info;
    file->device = st.st_dev;
    file->inode = st.st_ino;
    return &file->base;
}

herr_t closeRange(H5FD_t* f) {
    auto* file = reinterpret_cast<RangeFile*>(f);
    ::close(file->fd);
    delete file;
    return 0;
}

int compareRange(const H5FD_t* a, const H5FD_t* b) {
    const auto* x = reinterpret_cast<const RangeFile*>(a);
    const auto* y = reinterpret_cast<const RangeFile*>(b);
    if (x->device != y->device) return x->device < y->device ? -1 : 1;
    if (x->inode != y->inode) return x->inode < y->inode ? -1 : 1;
    if (x->range.offset != y->range.offset) return x->range.offset < y->range.offset ? -1 : 1;
    return 0;
}

herr_t queryRange(const H5FD_t*, unsigned long* flags) {
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
    return 0;
}

haddr_t getEoa(const H5FD_t* f, H5FD_mem_t) {
    return reinterpret_cast<const RangeFile*>(f)->eoa;
}

herr_t setEoa(H5FD_t* f, H5FD_mem_t, haddr_t addr) {
    reinterpret_cast<RangeFile*>(f)->eoa = addr;
    return 0;
}

haddr_t getEof(const H5FD_t* f, H5FD_mem_t) {
    return haddr_t(reinterpret_cast<const RangeFile*>(f)->range.size);
}

herr_t getHandle(H5FD_t* f, hid_t, void** handle) {
    *handle = &reinterpret_cast<RangeFile*>(f)->fd;
    return 0;
}

// Bytes past the end of the range read as zeros, as HDF5's own drivers do past EOF.
herr_t readRange(H5FD_t* f, H5FD_mem_t, hid_t, haddr_t addr, size_t size, void* buffer) {
    auto* file = reinterpret_cast<RangeFile*>(f);
    if (addr == HADDR_UNDEF || addr > file->eoa || size > file->eoa - addr) return -1;
    auto* out = static_cast<char*>(buffer);
    const haddr_t end = haddr_t(file->range.size);
    const size_t inside = addr >= end ? 0 : size_t(std::min<haddr_t>(size, end - addr));
    size_t done = 0;
    while (done < inside) {
        const ssize_t n = ::pread(file->fd, out + done, inside - done,
                                  off_t(file->range.offset + qint64(addr) + qint64(done)));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += size_t(n);
    }
    std::memset(out + done, 0, size - done);
    return 0;
}

herr_t writeRange(H5FD_t*, H5FD_mem_t, hid_t, haddr_t, size_t, const void*) {
    return -1; // read-only
}

herr_t truncateRange(H5FD_t*, hid_t, hbool_t) {
    return 0;
}

hid_t driverId() {
    static const H5FD_class_t cls = {
        "weightscope_range",
        haddr_t((qint64(1) << 62) - 1),
        H5F_CLOSE_WEAK,
        nullptr, // terminate
        nullptr, // sb_size
        nullptr, // sb_encode
        nullptr, // sb_decode
        sizeof(RangeInfo),
        getInfo,
        copyInfo,
        freeInfo,
        0,       // dxpl_size
        nullptr, // dxpl_copy
        nullptr, // dxpl_free
        openRange,
        closeRange,
        compareRange,
        queryRange,
        nullptr, // get_type_map
        nullptr, // alloc
        nullptr, // free
        getEoa,
        setEoa,
        getEof,
        getHandle,
        readRange,
        writeRange,
        nullptr, // flush
        truncateRange,
        nullptr, // lock
        nullptr, // unlock
        H5FD_FLMAP_DICHOTOMY,
    };
    static const hid_t id = H5FDregister(&cls);
    return id;
}

} // namespace

hid_t rangeFileAccess(qint64 offset, qint64 size) {
    const hid_t driver = driverId();
    if (driver < 0) return -1;
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    const RangeInfo info{offset, size};
    if (fapl < 0 || H5Pset_driver(fapl, driver, &info) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

} // namespace ws
