// Block-wise decoding through Storage::readBytes (edits included): a request for
// elements [first, first + count) reads and decodes only the blocks covering them,
// straight into the caller's buffer except for partial blocks at either end.
#include "GgmlEncoding.h"
#include "Tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

namespace ws {

namespace {
// Blocks read and decoded per step: 256 KiB or so of packed bytes.
constexpr int64_t kChunkBytes = 256 * 1024;
} // namespace

std::shared_ptr<const GgmlEncoding> GgmlEncoding::of(const ggml::TypeTraits& type) {
    static std::mutex mutex;
    static std::map<uint32_t, std::shared_ptr<const GgmlEncoding>> all;
    std::lock_guard<std::mutex> lock(mutex);
    auto& e = all[type.id];
    if (!e) e = std::make_shared<GgmlEncoding>(type);
    return e;
}

QString GgmlEncoding::typeName() const {
    return QString::fromLatin1(m_type.name);
}

QString GgmlEncoding::description() const {
    QString s =
        ggml::describe(m_type) +
        QStringLiteral(". Decoded to float32 exactly as ggml's dequantize_row_%1.").arg(typeName());
    if (m_type.quantize)
        s += QStringLiteral(" Edits re-quantize only the blocks they touch with ggml's "
                            "reference quantizer (quantize_row_%1_ref).")
                 .arg(typeName());
    else
        s += QStringLiteral(" Read-only: %1.").arg(QString::fromLatin1(m_type.limitation));
    return s;
}

QString GgmlEncoding::validate(const Tensor& t) const {
    const int64_t n = t.numel();
    if (n > kMaxElements)
        return QStringLiteral("tensor %1: absurd shape %2").arg(t.name, t.shapeString());
    const int64_t inner = t.shape.empty() ? 1 : t.shape.back();
    if (inner % m_type.blockElements != 0)
        return QStringLiteral("tensor %1: %2 is stored in blocks of %3 values, but its rows "
                              "have %4")
            .arg(t.name, typeName())
            .arg(m_type.blockElements)
            .arg(inner);
    if (!t.storage) return QStringLiteral("tensor %1: no storage").arg(t.name);
    if (t.storageOffset != 0 || (n > 0 && !t.isContiguous()))
        return QStringLiteral("tensor %1: a %2 tensor must be its storage's blocks in order")
            .arg(t.name, typeName());
    const int64_t bytes = n / m_type.blockElements * m_type.blockBytes;
    if (t.storage->byteSize() != bytes)
        return QStringLiteral("tensor %1: %2 values of %3 take %4 bytes, but its storage has %5")
            .arg(t.name)
            .arg(n)
            .arg(typeName())
            .arg(bytes)
            .arg(t.storage->byteSize());
    return QString();
}

bool GgmlEncoding::decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                          QString* error) const {
    QString dummy;
    QString* err = error ? error : &dummy;
    const int64_t B = m_type.blockElements, BB = m_type.blockBytes;
    if (first < 0 || count < 0 || count > t.numel() - first) {
        *err = QStringLiteral("tensor %1: elements %2+%3 lie outside its %4")
                   .arg(t.name)
                   .arg(first)
                   .arg(count)
                   .arg(t.numel());
        return false;
    }
    if (count == 0) return true;
    // One read per chunk of blocks; blocks wholly inside the range decode straight into
    // dst, the partial ones at either end through a scratch block.
    const int64_t end = first + count, b0 = first / B, b1 = (end - 1) / B + 1;
    const int64_t maxBlocks = std::max<int64_t>(1, kChunkBytes / BB);
    std::vector<uint8_t> raw(size_t(std::min(maxBlocks, b1 - b0) * BB));
    std::vector<float> partial;
    for (int64_t cb = b0; cb < b1;) {
        const int64_t nb = std::min(maxBlocks, b1 - cb);
        if (!t.storage->readBytes(cb * BB, nb * BB, reinterpret_cast<char*>(raw.data()), err))
            return false;
        for (int64_t k = 0; k < nb;) {
            const int64_t start = (cb + k) * B;
            const int64_t lo = std::max(first, start), hi = std::min(end, start + B);
            if (lo == start && hi == start + B) {
                int64_t k2 = k + 1;
                while (k2 < nb && (cb + k2 + 1) * B <= end)
                    ++k2;
                m_type.decode(raw.data() + k * BB, k2 - k, dst + (start - first));
                k = k2;
            } else {
                partial.resize(size_t(B));
                m_type.decode(raw.data() + k * BB, 1, partial.data());
                std::memcpy(dst + (lo - first), partial.data() + (lo - start),
                            size_t(hi - lo) * sizeof(float));
                ++k;
            }
        }
        cb += nb;
    }
    return true;
}

int64_t GgmlEncoding::unitElements() const {
    return m_type.quantize ? m_type.blockElements : 0;
}

int64_t GgmlEncoding::unitBytes() const {
    return m_type.quantize ? m_type.blockBytes : 0;
}

QString GgmlEncoding::readOnlyReason() const {
    return QStringLiteral("%1 tensors cannot be edited: %2")
        .arg(typeName(), QString::fromLatin1(m_type.limitation));
}

bool GgmlEncoding::encodeUnits(const float* values, int64_t nUnits, char* dst,
                               QString* error) const {
    if (!m_type.quantize) {
        if (error) *error = readOnlyReason();
        return false;
    }
    const int64_t n = nUnits * m_type.blockElements;
    for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(values[i])) {
            if (error)
                *error = QStringLiteral("%1 blocks cannot hold %2")
                             .arg(typeName(), QString::number(double(values[i])));
            return false;
        }
    m_type.quantize(values, nUnits, reinterpret_cast<uint8_t*>(dst));
    return true;
}

} // namespace ws
