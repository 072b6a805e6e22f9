// Writes the benchmark's GGUF: llama-3-8B-shaped tensors (n_embd 4096, n_ff 14336,
// n_vocab 32000, two blocks) of random normal weights, quantized on all cores with
// our reference quantizers, in GGUF v3 layout (QUANT.md section 1). About 520 MB.
#include "DType.h"
#include "GgmlTypes.h"
#include "GgufBenchFile.h"

#include <QFile>
#include <algorithm>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

namespace wsbench {

namespace {

struct Spec {
    const char* name;
    uint32_t type; // 0 f32, 1 f16, 12 q4_K, 14 q6_K
    int64_t ne0, ne1;
};

const Spec kTensors[] = {
    {"token_embd.weight", 1, 4096, 32000},    {"blk.0.attn_norm.weight", 0, 4096, 1},
    {"blk.0.attn_q.weight", 12, 4096, 4096},  {"blk.0.attn_k.weight", 12, 4096, 1024},
    {"blk.0.attn_v.weight", 14, 4096, 1024},  {"blk.0.attn_output.weight", 12, 4096, 4096},
    {"blk.0.ffn_norm.weight", 0, 4096, 1},    {"blk.0.ffn_gate.weight", 12, 4096, 14336},
    {"blk.0.ffn_up.weight", 12, 4096, 14336}, {"blk.0.ffn_down.weight", 12, 14336, 4096},
    {"blk.1.attn_q.weight", 12, 4096, 4096},  {"blk.1.attn_k.weight", 12, 4096, 1024},
    {"blk.1.attn_v.weight", 14, 4096, 1024},  {"blk.1.attn_output.weight", 12, 4096, 4096},
    {"output_norm.weight", 0, 4096, 1},       {"output.weight", 14, 4096, 32000},
};

class Out {
public:
    explicit Out(QFile* f) : m_f(f) {}
    template <typename T> void put(T v) {
        char b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T)); // little-endian host
        m_buf.append(b, sizeof(T));
    }
    void str(const QByteArray& s) {
        put<uint64_t>(uint64_t(s.size()));
        m_buf.append(s);
    }
    void kvString(const char* key, const QByteArray& v) {
        str(key);
        put<uint32_t>(8);
        str(v);
    }
    void kvU32(const char* key, uint32_t v) {
        str(key);
        put<uint32_t>(4);
        put<uint32_t>(v);
    }
    void kvF32(const char* key, float v) {
        str(key);
        put<uint32_t>(6);
        put<float>(v);
    }
    void pad(int64_t align) {
        while ((m_written + m_buf.size()) % align)
            m_buf.append('\0');
    }
    bool flush() {
        m_written += m_buf.size();
        const bool ok = m_f->write(m_buf) == m_buf.size();
        m_buf.clear();
        return ok;
    }
    QByteArray& buf() { return m_buf; }

private:
    QFile* m_f;
    QByteArray m_buf;
    int64_t m_written = 0;
};

int64_t rowBytes(const Spec& s) {
    const ws::ggml::TypeTraits* t = ws::ggml::typeTraits(s.type);
    return s.ne0 / t->blockElements * t->blockBytes;
}

// Rows [r0, r1) of \a s: normal(0, 0.02) weights with a few outliers, encoded.
void encodeRows(const Spec& s, int64_t r0, int64_t r1, uint8_t* dst) {
    std::mt19937 rng(uint32_t(r0 * 7919 + s.ne0));
    std::normal_distribution<float> n(0.f, 0.02f);
    std::vector<float> x(size_t(s.ne0));
    const ws::ggml::TypeTraits* t = ws::ggml::typeTraits(s.type);
    for (int64_t r = r0; r < r1; ++r, dst += rowBytes(s)) {
        for (float& v : x)
            v = n(rng);
        x[size_t(r % s.ne0)] *= 12.f;
        if (s.type == 0)
            std::memcpy(dst, x.data(), x.size() * 4);
        else if (s.type == 1)
            for (size_t i = 0; i < x.size(); ++i) {
                const uint16_t h = ws::floatToHalf(x[i]);
                std::memcpy(dst + 2 * i, &h, 2);
            }
        else
            t->quantize(x.data(), s.ne0 / t->blockElements, dst);
    }
}

} // namespace

int makeBenchGguf(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        std::fprintf(stderr, "%s: %s\n", qPrintable(path), qPrintable(f.errorString()));
        return 2;
    }
    Out o(&f);
    o.buf().append("GGUF");
    o.put<uint32_t>(3);
    o.put<uint64_t>(sizeof(kTensors) / sizeof(kTensors[0]));
    o.put<uint64_t>(13);
    o.kvString("general.architecture", "llama");
    o.kvString("general.name", "WeightScope benchmark (llama-3-8B shapes, 2 blocks)");
    o.kvU32("llama.context_length", 8192);
    o.kvU32("llama.embedding_length", 4096);
    o.kvU32("llama.block_count", 2);
    o.kvU32("llama.feed_forward_length", 14336);
    o.kvU32("llama.attention.head_count", 32);
    o.kvU32("llama.attention.head_count_kv", 8);
    o.kvF32("llama.rope.freq_base", 500000.f);
    o.kvU32("general.file_type", 15);
    o.kvU32("general.quantization_version", 2);
    o.kvString("tokenizer.ggml.model", "gpt2");
    o.str("tokenizer.ggml.tokens");
    o.put<uint32_t>(9);
    o.put<uint32_t>(8);
    o.put<uint64_t>(32000);
    for (int i = 0; i < 32000; ++i)
        o.str(QByteArray("tok") + QByteArray::number(i));
    uint64_t offset = 0;
    for (const Spec& s : kTensors) {
        o.str(s.name);
        o.put<uint32_t>(s.ne1 == 1 ? 1 : 2);
        o.put<uint64_t>(uint64_t(s.ne0));
        if (s.ne1 != 1) o.put<uint64_t>(uint64_t(s.ne1));
        o.put<uint32_t>(s.type);
        o.put<uint64_t>(offset);
        offset = (offset + uint64_t(rowBytes(s) * s.ne1) + 31) / 32 * 32;
    }
    o.pad(32);
    if (!o.flush()) return 2;
    const int threads = std::max(1, int(std::thread::hardware_concurrency()));
    for (const Spec& s : kTensors) {
        const int64_t chunkRows = 256;
        for (int64_t r = 0; r < s.ne1; r += chunkRows) {
            const int64_t n = std::min(chunkRows, s.ne1 - r);
            QByteArray& buf = o.buf();
            buf.resize(int(n * rowBytes(s)));
            std::vector<std::thread> pool;
            for (int k = 0; k < threads; ++k)
                pool.emplace_back([&, k] {
                    const int64_t a = r + n * k / threads, b = r + n * (k + 1) / threads;
                    encodeRows(s, a, b,
                               reinterpret_cast<uint8_t*>(buf.data()) + (a - r) * rowBytes(s));
                });
            for (auto& th : pool)
                th.join();
            if (!o.flush()) return 2;
        }
        o.pad(32);
        if (!o.flush()) return 2;
    }
    std::printf("wrote %s (%.0f MB)\n", qPrintable(path), double(f.size()) / 1e6);
    return 0;
}

} // namespace wsbench
