// The LZF filter (id 32000, as h5py assigns it) on liblzf. Client values as h5py
// writes them: [filter revision, LZF version, chunk size in bytes]; the chunk size
// gives the decompressed size, else the output grows until it fits.
#include "LzfFilter.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <hdf5.h>
#include <lzf.h>

namespace ws {

namespace {

constexpr H5Z_filter_t kLzfId = 32000;
constexpr size_t kMaxChunk = size_t(1) << 32; // HDF5 chunks are below 4 GiB

size_t decompress(size_t cdCount, const unsigned cd[], size_t nbytes, size_t* bufSize, void** buf) {
    size_t outSize = cdCount >= 3 && cd[2] != 0 ? size_t(cd[2]) : std::max(*bufSize, nbytes) * 4;
    for (;;) {
        void* out = H5allocate_memory(outSize, false);
        if (!out) return 0;
        errno = 0;
        const unsigned n = lzf_decompress(*buf, unsigned(nbytes), out, unsigned(outSize));
        if (n > 0) {
            H5free_memory(*buf);
            *buf = out;
            *bufSize = outSize;
            return n;
        }
        H5free_memory(out);
        // Too small only when the chunk size was not given: grow; anything else is damage.
        if (errno != E2BIG || (cdCount >= 3 && cd[2] != 0) || outSize >= kMaxChunk) return 0;
        outSize = std::min(outSize * 2, kMaxChunk);
    }
}

size_t compress(size_t nbytes, size_t* bufSize, void** buf) {
    if (nbytes == 0 || nbytes >= kMaxChunk) return 0;
    const size_t outSize = nbytes + nbytes / 16 + 64 + 3; // liblzf's worst case
    void* out = H5allocate_memory(outSize, false);
    if (!out) return 0;
    const unsigned n = lzf_compress(*buf, unsigned(nbytes), out, unsigned(outSize));
    if (n == 0) {
        H5free_memory(out);
        return 0;
    }
    H5free_memory(*buf);
    *buf = out;
    *bufSize = outSize;
    return n;
}

size_t lzfFilter(unsigned flags, size_t cdCount, const unsigned cd[], size_t nbytes,
                 size_t* bufSize, void** buf) {
    return (flags & H5Z_FLAG_REVERSE) ? decompress(cdCount, cd, nbytes, bufSize, buf)
                                      : compress(nbytes, bufSize, buf);
}

} // namespace

bool registerLzfFilter() {
    static const H5Z_class2_t lzf = {
        H5Z_CLASS_T_VERS, kLzfId, 1, 1, "lzf", nullptr, nullptr, lzfFilter,
    };
    return H5Zregister(&lzf) >= 0;
}

} // namespace ws
