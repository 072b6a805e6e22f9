// Builds small weight files in memory for the widget and window tests.
#pragma once

#include "WeightFile.h"

#include <QByteArray>
#include <memory>
#include <vector>

namespace wstest {

inline ws::TensorPtr floatTensor(const QString& name, std::vector<int64_t> shape,
                                 const std::vector<float>& values,
                                 std::shared_ptr<ws::Storage> storage = {}) {
    auto t = std::make_shared<ws::Tensor>();
    t->name = name;
    t->dtype = ws::DType::Float32;
    t->setContiguousShape(std::move(shape));
    if (!storage)
        storage = ws::Storage::fromBytes(QByteArray(reinterpret_cast<const char*>(values.data()),
                                                    qsizetype(values.size() * sizeof(float))),
                                         name);
    t->storage = std::move(storage);
    return t;
}

/// Values 0.5 * i - 3 for i = 0 .. n-1 (exact in float32).
inline std::vector<float> ramp(int64_t n, float scale = 0.5f, float offset = -3.0f) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
        v[size_t(i)] = scale * float(i) + offset;
    return v;
}

/// fc1 (Linear 4 -> 3), fc2 (Linear 3 -> 2) whose weight shares storage with
/// "tied.weight", and a scalar "step".
inline std::shared_ptr<ws::WeightFile> smallModel() {
    auto f = std::make_shared<ws::WeightFile>();
    f->path = QStringLiteral("/tmp/small.pt");
    f->formatId = QStringLiteral("memory");
    f->formatName = QStringLiteral("In-memory test file");
    f->tensors.push_back(floatTensor(QStringLiteral("fc1.weight"), {3, 4}, ramp(12)));
    f->tensors.push_back(floatTensor(QStringLiteral("fc1.bias"), {3}, {0.25f, -1.5f, 0.125f}));
    auto fc2 = floatTensor(QStringLiteral("fc2.weight"), {2, 3}, ramp(6, -0.25f, 1.0f));
    f->tensors.push_back(fc2);
    f->tensors.push_back(floatTensor(QStringLiteral("fc2.bias"), {2}, {1.0f, 2.0f}));
    f->tensors.push_back(floatTensor(QStringLiteral("tied.weight"), {2, 3}, {}, fc2->storage));
    f->tensors.push_back(floatTensor(QStringLiteral("step"), {}, {42.0f}));
    return f;
}

} // namespace wstest
