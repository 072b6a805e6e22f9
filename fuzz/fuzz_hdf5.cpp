// libFuzzer target for the HDF5 reader: writes the input to a temporary file,
// opens it as WeightScope opens a file and loads every tensor. Errors must say
// something. libhdf5 runs in the helper program (weightscope-hdf5, not
// instrumented): its crashes and hangs come back as errors, and what this target
// exercises is the format's side of it. Seeds: fuzz/corpus/hdf5/.
#include "Hdf5Format.h"

#include <QString>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // HDF5 loops forever on some damaged files; the helper is stopped after this.
    static const bool configured = (ws::setHdf5StructureTimeout(2000), true);
    (void)configured;
    static const std::string path = "/tmp/fuzz_hdf5_" + std::to_string(getpid()) + ".h5";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    QString error;
    auto file = ws::Hdf5Format().read(QString::fromStdString(path), &error);
    if (!file) {
        if (error.isEmpty()) __builtin_trap();
        return 0;
    }
    for (const auto& t : file->tensors) {
        std::vector<double> values;
        QString loadError;
        if (!t->valuesDouble(&values, &loadError) && loadError.isEmpty()) __builtin_trap();
    }
    return 0;
}
