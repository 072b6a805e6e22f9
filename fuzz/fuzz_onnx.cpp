// libFuzzer target for the ONNX reader: runs the content probe on the input,
// writes it to a temporary file, reads it as a model and converts every tensor
// it holds. External data resolve against a private folder holding only the
// model, so external references must fail cleanly. Any crash, leak or hang is
// a bug; a failure must come with a message.
#include "OnnxFormat.h"

#include <QDir>
#include <QString>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QByteArray bytes(reinterpret_cast<const char*>(data), qsizetype(size));
    ws::looksLikeOnnxModel(bytes.left(4096));
    static const std::string dir = "/tmp/fuzz_onnx_" + std::to_string(getpid());
    static const bool made = QDir().mkpath(QString::fromStdString(dir));
    (void)made;
    static const std::string path = dir + "/model.onnx";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    QString error;
    auto file = ws::OnnxFormat().read(QString::fromStdString(path), &error);
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
