// Basic indexing of tensors by name: views over the same storage.
#include "TensorSlice.h"

#include <algorithm>

namespace ws {

bool splitIndexedName(const QString& text, QString* name, std::vector<IndexItem>* index,
                      bool* indexed, QString* error) {
    const QString s = text.trimmed();
    index->clear();
    *indexed = false;
    if (!s.endsWith(QLatin1Char(']'))) {
        *name = s;
        return true;
    }
    const int open = s.lastIndexOf(QLatin1Char('['));
    if (open <= 0) {
        *error = QStringLiteral("malformed tensor index '%1': unbalanced ']'").arg(text);
        return false;
    }
    *name = s.left(open).trimmed();
    *indexed = true;
    QString problem;
    if (!parseIndexList(s.mid(open + 1, s.size() - open - 2), index, &problem)) {
        *error = QStringLiteral("malformed tensor index '%1': %2").arg(text, problem);
        return false;
    }
    return true;
}

TensorPtr sliceTensor(const Tensor& t, const std::vector<IndexItem>& index, const QString& name,
                      QString* error) {
    if (index.size() > t.shape.size()) {
        *error = QStringLiteral("too many indices for tensor %1 of shape %2: %3 given")
                     .arg(t.name, t.shapeString())
                     .arg(index.size());
        return nullptr;
    }
    auto view = std::make_shared<Tensor>(t);
    view->name = name;
    view->inputMajor = t.inputMajor && index.empty();
    view->shape.clear();
    view->strides.clear();
    int64_t offset = t.storageOffset;
    for (size_t d = 0; d < t.shape.size(); ++d) {
        const int64_t n = t.shape[d];
        const int64_t stride = t.strides[d];
        if (d >= index.size()) {
            view->shape.push_back(n);
            view->strides.push_back(stride);
            continue;
        }
        const IndexItem& it = index[d];
        if (!it.isSlice) {
            const int64_t i = it.start < 0 ? it.start + n : it.start;
            if (i < 0 || i >= n) {
                *error = QStringLiteral("index %1 is out of range for dimension %2 of size %3 "
                                        "(tensor %4)")
                             .arg(it.start)
                             .arg(d)
                             .arg(n)
                             .arg(t.name);
                return nullptr;
            }
            offset += i * stride;
            continue;
        }
        auto clampEnd = [n](int64_t v) {
            if (v < 0) v += n;
            return std::clamp<int64_t>(v, 0, n);
        };
        const int64_t start = it.hasStart ? clampEnd(it.start) : 0;
        const int64_t stop = it.hasStop ? clampEnd(it.stop) : n;
        const int64_t size = std::max<int64_t>(0, stop - start);
        if (size > 0) offset += start * stride;
        view->shape.push_back(size);
        view->strides.push_back(stride);
    }
    view->storageOffset = offset;
    return view;
}

TensorPtr findTensorOrSlice(const WeightFile& file, const QString& text, QString* error) {
    if (TensorPtr t = file.find(text)) return t;
    QString name;
    std::vector<IndexItem> index;
    bool indexed = false;
    if (!splitIndexedName(text, &name, &index, &indexed, error)) return nullptr;
    const TensorPtr t = indexed ? file.find(name) : file.find(text.trimmed());
    if (!t) {
        *error = QStringLiteral("%1: no tensor named '%2'").arg(file.path, name);
        return nullptr;
    }
    if (!indexed) return t;
    return sliceTensor(*t, index, text.trimmed(), error);
}

} // namespace ws
