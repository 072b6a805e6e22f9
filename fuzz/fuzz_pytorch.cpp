// libFuzzer target for the PyTorch checkpoint reader: writes the input to a
// temporary file, opens it and loads every tensor. Any crash, leak or hang is a bug.
#include "PyTorchFormat.h"

#include <QString>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = "/tmp/fuzz_pytorch_" + std::to_string(getpid()) + ".pt";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    QString error;
    auto file = ws::PyTorchFormat().read(QString::fromStdString(path), &error);
    if (!file) {
        if (error.isEmpty()) __builtin_trap(); // errors must say something
        return 0;
    }
    for (const auto& t : file->tensors) {
        if (t->numel() > (int64_t(1) << 22)) {
            t->check(&error); // values of huge broadcast views would only test memory
            continue;
        }
        std::vector<double> values;
        t->valuesDouble(&values, &error);
    }
    return 0;
}
