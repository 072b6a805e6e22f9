// libFuzzer target for the safetensors reader: parses the input's header in
// memory, then writes the input to a temporary file, opens it as a file would be
// opened and loads every tensor. Any crash, leak or hang is a bug.
#include "SafetensorsFormat.h"
#include "SafetensorsState.h"

#include <QString>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size >= 8) {
        uint64_t n = 0;
        for (int i = 7; i >= 0; --i)
            n = (n << 8) | data[i];
        if (n <= size - 8) {
            ws::SafetensorsHeader header;
            QString problem;
            const QByteArray bytes(reinterpret_cast<const char*>(data) + 8, qsizetype(n));
            if (!ws::parseSafetensorsHeader(bytes, qint64(size), &header, &problem) &&
                problem.isEmpty())
                __builtin_trap(); // errors must say something
        }
    }
    static const std::string path =
        "/tmp/fuzz_safetensors_" + std::to_string(getpid()) + ".safetensors";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    QString error;
    auto file = ws::SafetensorsFormat().read(QString::fromStdString(path), &error);
    if (!file) {
        if (error.isEmpty()) __builtin_trap();
        return 0;
    }
    for (const auto& t : file->tensors) {
        std::vector<double> values;
        if (!t->valuesDouble(&values, &error)) __builtin_trap(); // a valid header's data is present
    }
    return 0;
}
