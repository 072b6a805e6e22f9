// GGUF saving. Edits never change a tensor's size (block types re-quantize whole
// blocks in place), so the saved file is the file as read with each edited tensor's
// byte range replaced: every other byte - header, padding, untouched tensors - is
// copied verbatim (inside the kernel where it can be).
#include "GgufFormat.h"
#include "GgufState.h"
#include "TensorBytes.h"

#include <algorithm>
#include <vector>

namespace ws {

namespace {

// Writes the current bytes (edits included) of \a t's storage, \a size of them.
bool writeStorageBytes(const Tensor& t, qint64 size, QIODevice* out, QString* error) {
    constexpr qint64 kPiece = qint64(8) << 20;
    QByteArray buf(int(std::min(size, kPiece)), Qt::Uninitialized);
    for (qint64 done = 0; done < size;) {
        const qint64 n = std::min(kPiece, size - done);
        if (!t.storage->readBytes(done, n, buf.data(), error) ||
            !writeAll(out, buf.constData(), n, t.name, error))
            return false;
        done += n;
    }
    return true;
}

} // namespace

bool GgufFormat::write(const WeightFile& file, QIODevice* out, QString* error) const {
    const auto* state = dynamic_cast<const GgufState*>(file.state.get());
    if (!state || file.formatId != id()) {
        *error = QStringLiteral("%1: converting to GGUF is not supported; only GGUF files can be "
                                "saved as GGUF")
                     .arg(file.path);
        return false;
    }
    const GgufHeader& h = state->header;
    struct Range {
        qint64 start, size;
        const Tensor* tensor; // null or unedited: copied from the file
    };
    std::vector<Range> ranges;
    for (const GgufTensorInfo& info : h.tensors) {
        const TensorPtr t = file.find(info.name);
        const bool edited = t && t->storage && t->storage->isDirty();
        if (edited && t->storage->byteSize() != info.bytes) {
            *error = QStringLiteral("%1: tensor %2 changed size (%3 bytes, %4 in the file)")
                         .arg(file.path, info.name)
                         .arg(t->storage->byteSize())
                         .arg(info.bytes);
            return false;
        }
        if (edited) ranges.push_back({h.dataOffset + qint64(info.offset), info.bytes, t.get()});
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.start < b.start; });
    qint64 pos = 0;
    for (const Range& r : ranges) {
        if (!copyFileRange(state->path, pos, r.start - pos, out, error) ||
            !writeStorageBytes(*r.tensor, r.size, out, error))
            return false;
        pos = r.start + r.size;
    }
    return copyFileRange(state->path, pos, h.fileSize - pos, out, error);
}

} // namespace ws
