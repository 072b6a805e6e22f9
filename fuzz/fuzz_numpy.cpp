// libFuzzer target for the NumPy reader: parses the input as a .npy header dict
// in memory, then writes it to a temporary file and reads it as .npy or .npz,
// loading every tensor (inflating compressed records). Any crash, leak or hang
// is a bug; a failure must come with a message.
#include "NpyHeader.h"
#include "NumpyFormat.h"

#include <QString>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    ws::NpyHeader header;
    QString problem;
    if (!ws::parseNpyDict(bytes, &header, &problem) && problem.isEmpty()) __builtin_trap();
    if (!ws::parseNpyHeader(bytes, &header, &problem) && problem.isEmpty()) __builtin_trap();
    static const std::string path = "/tmp/fuzz_numpy_" + std::to_string(getpid()) + ".npz";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    ws::NumpyFormat format;
    format.probe(bytes.left(4096), QString::fromStdString(path));
    QString error;
    auto file = format.read(QString::fromStdString(path), &error);
    if (!file) {
        if (error.isEmpty()) __builtin_trap();
        return 0;
    }
    for (const auto& t : file->tensors) {
        std::vector<double> values;
        QString e;
        if (!t->valuesDouble(&values, &e) && e.isEmpty()) __builtin_trap();
    }
    return 0;
}
