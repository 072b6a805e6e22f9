// A minimal GGUF v3 writer for tests that need a file the fixtures do not have
// (zero-size tensors, larger quantized tensors): string metadata, tensors with
// given ggml type ids and raw data, laid out densely with 32-byte alignment.
#pragma once

#include <QByteArray>
#include <QString>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace wstest {

struct GgufTestTensor {
    QByteArray name;
    std::vector<uint64_t> ne;
    uint32_t type;
    QByteArray data;
};

inline QByteArray ggufTestFile(const std::vector<std::pair<QByteArray, QByteArray>>& kv,
                               const std::vector<GgufTestTensor>& tensors) {
    QByteArray out("GGUF");
    const auto put = [&out](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
    const auto str = [&](const QByteArray& s) {
        put(uint64_t(s.size()));
        out.append(s);
    };
    put(uint32_t(3));
    put(uint64_t(tensors.size()));
    put(uint64_t(kv.size()));
    for (const auto& [key, value] : kv) {
        str(key);
        put(uint32_t(8));
        str(value);
    }
    uint64_t offset = 0;
    for (const GgufTestTensor& t : tensors) {
        str(t.name);
        put(uint32_t(t.ne.size()));
        for (uint64_t d : t.ne)
            put(d);
        put(t.type);
        put(offset);
        offset = (offset + uint64_t(t.data.size()) + 31) / 32 * 32;
    }
    while (out.size() % 32)
        out.append('\0');
    const qsizetype dataStart = out.size();
    for (const GgufTestTensor& t : tensors) {
        out.append(t.data);
        while ((out.size() - dataStart) % 32)
            out.append('\0');
    }
    return out;
}

} // namespace wstest
