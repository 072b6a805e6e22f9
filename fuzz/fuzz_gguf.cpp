// libFuzzer target for the GGUF reader and the ggml block codecs: parses the
// input's header in memory, then writes the input to a temporary file, opens it as
// a file would be opened, decodes every readable tensor whole and re-quantizes the
// decoded blocks of every type that has a reference quantizer. Any crash, leak,
// hang or undefined behaviour is a bug; a file that opens must decode.
#include "GgmlEncoding.h"
#include "GgufFormat.h"

#include <QBuffer>
#include <QString>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    {
        QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
        QBuffer buf(&bytes);
        buf.open(QIODevice::ReadOnly);
        QString error;
        auto file = ws::readGguf(&buf, qint64(size), QStringLiteral("memory.gguf"), &error);
        if (!file && error.isEmpty()) __builtin_trap(); // errors must say something
    }
    static const std::string path = "/tmp/fuzz_gguf_" + std::to_string(getpid()) + ".gguf";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    QString error;
    auto file = ws::GgufFormat().read(QString::fromStdString(path), &error);
    if (!file) {
        if (error.isEmpty()) __builtin_trap();
        return 0;
    }
    for (const auto& t : file->tensors) {
        if (!t->problem.isEmpty()) continue;
        if (!t->encoding) { // plain: its bytes are in the file
            std::vector<char> raw(size_t(t->storage->byteSize()));
            if (!t->storage->readBytes(0, qint64(raw.size()), raw.data(), &error)) __builtin_trap();
            continue;
        }
        if (!t->encoding->validate(*t).isEmpty()) __builtin_trap();
        std::vector<float> values(size_t(t->numel()));
        if (!t->encoding->decode(*t, 0, t->numel(), values.data(), &error)) __builtin_trap();
        const int64_t unit = t->encoding->unitElements();
        if (unit <= 0) continue;
        bool finite = true;
        for (float v : values)
            finite = finite && std::isfinite(v);
        std::vector<char> blocks(size_t(t->numel() / unit * t->encoding->unitBytes()));
        if (finite &&
            !t->encoding->encodeUnits(values.data(), t->numel() / unit, blocks.data(), &error))
            __builtin_trap();
    }
    return 0;
}
