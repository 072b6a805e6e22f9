// WeightScope's GGUF benchmark (run by bench/run_gguf_benchmark.py):
//   weightscope_bench_gguf decode         decode throughput of every ggml type, GB/s of
//                                         packed blocks, 1 thread and all cores, next to
//                                         a plain per-element reference loop
//   weightscope_bench_gguf make FILE      writes a ~500 MB llama-shaped GGUF (Q4_K, Q6_K,
//                                         F16 tensors quantized with our reference
//                                         quantizers from random normal weights)
// (the first paint of its 4096 x 14336 Q4_K tensor and the one-cell edit + in-place
// save are timed by run_gguf_benchmark.py with the window benchmark and the CLI)
#include "GgmlTypes.h"
#include "GgufBenchFile.h"
#include "GgufBenchRefs.h"

#include <QApplication>
#include <QElapsedTimer>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

using namespace ws;

namespace {

using RefFn = float (*)(const uint8_t*, int64_t);

RefFn referenceOf(uint32_t id) {
    switch (id) {
    case 2:
        return wsbench::refQ4_0;
    case 6:
        return wsbench::refQ5_0;
    case 8:
        return wsbench::refQ8_0;
    case 10:
        return wsbench::refQ2_K;
    case 11:
        return wsbench::refQ3_K;
    case 12:
        return wsbench::refQ4_K;
    case 13:
        return wsbench::refQ5_K;
    case 14:
        return wsbench::refQ6_K;
    case 35:
        return wsbench::refTQ2_0;
    default:
        return nullptr;
    }
}

// kBytes of packed blocks: a pool of quantized random weights (random bytes with a sane
// scale for types without a quantizer), repeated.
std::vector<uint8_t> makeBlocks(const ggml::TypeTraits& t, int64_t bytes) {
    const int64_t poolBlocks = 2048;
    std::vector<uint8_t> pool(size_t(poolBlocks * t.blockBytes));
    std::mt19937 rng(1234);
    if (t.quantize) {
        std::normal_distribution<float> n(0.f, 0.02f);
        std::vector<float> x(size_t(poolBlocks * t.blockElements));
        for (float& v : x)
            v = n(rng);
        t.quantize(x.data(), poolBlocks, pool.data());
    } else {
        std::uniform_int_distribution<int> byte(0, 255);
        for (uint8_t& b : pool)
            b = uint8_t(byte(rng));
        for (int64_t b = 0; b < poolBlocks; ++b) { // d = 0.01 where the block starts with it
            pool[size_t(b * t.blockBytes)] = 0x1F;
            pool[size_t(b * t.blockBytes + 1)] = 0x21;
        }
    }
    std::vector<uint8_t> out(size_t(bytes / t.blockBytes * t.blockBytes));
    for (size_t i = 0; i < out.size(); i += pool.size())
        std::copy_n(pool.begin(), std::min(pool.size(), out.size() - i), out.begin() + long(i));
    return out;
}

// Seconds to decode \a blocks on \a threads threads, in pieces of 64 KiB packed (as tiles
// are decoded), best of three.
template <typename F>
double timeDecode(const ggml::TypeTraits& t, const std::vector<uint8_t>& blocks, int threads,
                  F decodePiece) {
    const int64_t nBlocks = int64_t(blocks.size()) / t.blockBytes;
    const int64_t piece = std::max<int64_t>(1, 65536 / t.blockBytes);
    double best = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
        QElapsedTimer timer;
        timer.start();
        std::vector<std::thread> pool;
        for (int k = 0; k < threads; ++k)
            pool.emplace_back([&, k] {
                std::vector<float> out(size_t(piece * t.blockElements));
                const int64_t b0 = nBlocks * k / threads, b1 = nBlocks * (k + 1) / threads;
                for (int64_t b = b0; b < b1; b += piece) {
                    const int64_t n = std::min(piece, b1 - b);
                    decodePiece(blocks.data() + b * t.blockBytes, n, out.data());
                }
            });
        for (auto& th : pool)
            th.join();
        best = std::min(best, double(timer.nsecsElapsed()) / 1e9);
    }
    return best;
}

int runDecode() {
    const int cores = std::max(1, int(std::thread::hardware_concurrency()));
    const int64_t bytes = int64_t(64) << 20;
    std::printf("decode throughput, GB/s of packed blocks (64 MiB per type, 64 KiB pieces)\n");
    std::printf("%-9s %7s %10s %10s %12s %10s\n", "type", "bpw", "1 thread",
                qPrintable(QStringLiteral("%1 threads").arg(cores)), "reference", "speed-up");
    for (uint32_t id = 0; id < 64; ++id) {
        const ggml::TypeTraits* t = ggml::typeTraits(id);
        if (!t || !t->decode) continue;
        const std::vector<uint8_t> blocks = makeBlocks(*t, bytes);
        const double gb = double(blocks.size()) / 1e9;
        const auto product = [t](const uint8_t* src, int64_t n, float* dst) {
            t->decode(src, n, dst);
        };
        const double one = timeDecode(*t, blocks, 1, product);
        const double all = timeDecode(*t, blocks, cores, product);
        QString refText = QStringLiteral("-"), speedText = QStringLiteral("-");
        if (const RefFn ref = referenceOf(id)) {
            // The reference must decode the same values.
            std::vector<float> a(size_t(64 * t->blockElements));
            t->decode(blocks.data(), 64, a.data());
            for (int64_t i = 0; i < int64_t(a.size()); ++i) {
                const float r = ref(blocks.data(), i);
                if (std::memcmp(&r, &a[size_t(i)], 4) != 0) {
                    std::fprintf(stderr, "%s: reference loop disagrees at %lld\n", t->name,
                                 static_cast<long long>(i));
                    return 3;
                }
            }
            const int64_t B = t->blockElements;
            const double r =
                timeDecode(*t, blocks, 1, [&](const uint8_t* src, int64_t n, float* dst) {
                    for (int64_t i = 0; i < n * B; ++i)
                        dst[i] = ref(src, i);
                });
            refText = QString::number(gb / r, 'f', 2);
            speedText = QString::number(r / one, 'f', 1) + QLatin1Char('x');
        }
        std::printf("%-9s %7.4g %10.2f %10.2f %12s %10s\n", t->name, ggml::bitsPerWeight(*t),
                    gb / one, gb / all, qPrintable(refText), qPrintable(speedText));
        std::fflush(stdout);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QString mode = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    if (mode == QLatin1String("decode")) return runDecode();
    if (mode == QLatin1String("make") && argc > 2)
        return wsbench::makeBenchGguf(QString::fromLocal8Bit(argv[2]));
    std::fprintf(stderr, "usage: weightscope_bench_gguf decode | make FILE\n");
    return 1;
}
