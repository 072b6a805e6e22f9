// Decode throughput of quantized logical weights: a 4096 x 4096 GPTQ int4 layer
// (group 128, act-order) and a 4096 x 4096 block-scaled FP8 layer (DeepSeek-V3
// style), written to a temporary folder with a config.json, opened through the
// registry and decoded on one thread: whole (rows in chunks, as export and
// statistics read) and as heatmap tiles (256 x 256, one partial row per call, as a
// zoomed-in view reads). Reports GB/s of packed (stored) bytes and ms per pass.
// Usage: weightscope_bench_quantized [SIZE]   (SIZE: rows = columns, default 4096)
#include "FormatRegistry.h"
#include "WeightFile.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <cstdio>
#include <random>

using namespace ws;

namespace {

struct Blob {
    QString name, dtype;
    std::vector<int64_t> shape;
    QByteArray bytes;
};

bool writeSafetensors(const QString& path, const std::vector<Blob>& blobs) {
    QByteArray header = "{", data;
    for (const Blob& b : blobs) {
        QStringList dims;
        for (int64_t d : b.shape)
            dims << QString::number(d);
        header +=
            QStringLiteral("%1\"%2\":{\"dtype\":\"%3\",\"shape\":[%4],\"data_offsets\":[%5,%6]}")
                .arg(header.size() > 1 ? QStringLiteral(",") : QString(), b.name, b.dtype,
                     dims.join(QLatin1Char(',')))
                .arg(data.size())
                .arg(data.size() + b.bytes.size())
                .toUtf8();
        data += b.bytes;
    }
    header += '}';
    while (header.size() % 8)
        header += ' ';
    QByteArray len(8, '\0');
    for (int i = 0; i < 8; ++i)
        len[i] = char((quint64(header.size()) >> (8 * i)) & 0xff);
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(len + header + data) > 0;
}

QByteArray randomBytes(int64_t n, std::mt19937& rng) {
    QByteArray b(qsizetype(n), Qt::Uninitialized);
    for (int64_t i = 0; i < n; ++i)
        b[qsizetype(i)] = char(rng() & 0xff);
    return b;
}

/// n float16 scales around 0.01 (0x2000 region), or float32 ones.
QByteArray scales(int64_t n, bool half, std::mt19937& rng) {
    QByteArray b(qsizetype(n * (half ? 2 : 4)), Qt::Uninitialized);
    for (int64_t i = 0; i < n; ++i) {
        if (half) {
            const uint16_t h = uint16_t(0x2000 + (rng() & 0x3ff));
            std::memcpy(b.data() + 2 * i, &h, 2);
        } else {
            const float f = 0.001f + float(rng() % 1000) * 1e-6f;
            std::memcpy(b.data() + 4 * i, &f, 4);
        }
    }
    return b;
}

void report(const char* what, double packedBytes, double seconds, double passes) {
    std::printf("%-44s %8.1f ms/pass %8.2f GB/s packed\n", what, seconds * 1e3 / passes,
                packedBytes * passes / seconds / 1e9);
    std::fflush(stdout);
}

/// Decodes \a t whole (rows in 1M-element pieces) and as 256 x 256 tiles read row by
/// row; reports both against \a packedBytes.
void bench(const QString& label, const Tensor& t, double packedBytes) {
    const int64_t rows = t.shape[0], cols = t.shape[1], n = rows * cols;
    std::vector<float> out(size_t(std::min<int64_t>(n, int64_t(1) << 20)));
    QString error;
    QElapsedTimer timer;
    int passes = 0;
    timer.start();
    do {
        for (int64_t first = 0; first < n; first += int64_t(out.size())) {
            const int64_t count = std::min<int64_t>(int64_t(out.size()), n - first);
            if (!t.encoding->decode(t, first, count, out.data(), &error)) {
                std::fprintf(stderr, "%s\n", qPrintable(error));
                return;
            }
        }
        ++passes;
    } while (timer.elapsed() < 2000);
    report(qPrintable(label + QStringLiteral(" whole")), packedBytes,
           double(timer.nsecsElapsed()) / 1e9, passes);

    const int64_t tile = 256;
    std::vector<float> row(static_cast<size_t>(tile));
    passes = 0;
    int64_t tiles = 0;
    timer.restart();
    do {
        // Tiles along the diagonal: each read row by row, one partial row per call.
        for (int64_t r0 = 0, c0 = 0; r0 + tile <= rows && c0 + tile <= cols;
             r0 += tile, c0 += tile, ++tiles)
            for (int64_t r = r0; r < r0 + tile; ++r)
                if (!t.encoding->decode(t, r * cols + c0, tile, row.data(), &error)) {
                    std::fprintf(stderr, "%s\n", qPrintable(error));
                    return;
                }
        ++passes;
    } while (timer.elapsed() < 2000);
    const double perTile = double(timer.nsecsElapsed()) / 1e6 / double(tiles);
    std::printf("%-44s %8.3f ms/tile (256 x 256, row by row)\n",
                qPrintable(label + QStringLiteral(" tiles")), perTile);
}

} // namespace

int main(int argc, char** argv) {
    const int64_t size = argc > 1 ? std::atoll(argv[1]) : 4096;
    QTemporaryDir dir;
    std::mt19937 rng(42);
    const int64_t K = size, N = size, g = 128, G = K / g;

    // GPTQ int4, act-order: qweight [K/8, N], qzeros [G, N/8], scales [G, N], g_idx [K].
    const QString gptqDir = dir.filePath(QStringLiteral("gptq"));
    QDir().mkpath(gptqDir);
    QByteArray gIdx(qsizetype(K * 4), Qt::Uninitialized);
    std::vector<int32_t> perm(static_cast<size_t>(K));
    for (int64_t k = 0; k < K; ++k)
        perm[size_t(k)] = int32_t(k / g);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::memcpy(gIdx.data(), perm.data(), size_t(K * 4));
    const QString l = QStringLiteral("model.layers.0.mlp.down_proj");
    if (!writeSafetensors(gptqDir + QStringLiteral("/model.safetensors"),
                          {{l + ".qweight", "I32", {K / 8, N}, randomBytes(K / 8 * N * 4, rng)},
                           {l + ".qzeros", "I32", {G, N / 8}, randomBytes(G * N / 8 * 4, rng)},
                           {l + ".scales", "F16", {G, N}, scales(G * N, true, rng)},
                           {l + ".g_idx", "I32", {K}, gIdx}}))
        return 1;
    QFile cfg(gptqDir + QStringLiteral("/config.json"));
    if (!cfg.open(QIODevice::WriteOnly)) return 1;
    cfg.write("{\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": "
              "128, \"desc_act\": true, \"sym\": true, \"checkpoint_format\": \"gptq\"}}");
    cfg.close();

    // Block-scaled FP8: weight [N, K] F8_E4M3 (codes below 0x7F), weight_scale_inv F32.
    const QString fp8Dir = dir.filePath(QStringLiteral("fp8"));
    QDir().mkpath(fp8Dir);
    QByteArray codes = randomBytes(N * K, rng);
    for (char& c : codes)
        if ((c & 0x7f) == 0x7f) c = 0x10;
    const int64_t sb = (N + 127) / 128, sc = (K + 127) / 128;
    if (!writeSafetensors(
            fp8Dir + QStringLiteral("/model.safetensors"),
            {{l + ".weight", "F8_E4M3", {N, K}, codes},
             {l + ".weight_scale_inv", "F32", {sb, sc}, scales(sb * sc, false, rng)}}))
        return 1;
    QFile cfg2(fp8Dir + QStringLiteral("/config.json"));
    if (!cfg2.open(QIODevice::WriteOnly)) return 1;
    cfg2.write("{\"quantization_config\": {\"quant_method\": \"fp8\", \"fmt\": \"e4m3\", "
               "\"weight_block_size\": [128, 128]}}");
    cfg2.close();

    std::printf("quantized decode, %lld x %lld, one thread\n", (long long)N, (long long)K);
    QString error;
    auto gptq = openWeightFile(gptqDir + QStringLiteral("/model.safetensors"), &error);
    auto fp8 = openWeightFile(fp8Dir + QStringLiteral("/model.safetensors"), &error);
    if (!gptq || !fp8) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const double gptqBytes = double(K / 8 * N * 4 + G * N / 8 * 4 + G * N * 2 + K * 4);
    bench(QStringLiteral("gptq int4 g128 act-order"), *gptq->tensors.back(), gptqBytes);
    bench(QStringLiteral("fp8 e4m3 128x128 blocks"), *fp8->tensors.back(),
          double(N * K + sb * sc * 4));
    return 0;
}
