// Lookup helpers over the tensors of an opened file.
#include "WeightFile.h"
#include "LayerTree.h"

#include <QStringList>

namespace ws {

TensorPtr WeightFile::find(const QString& name) const {
    int i = indexOf(name);
    return i < 0 ? nullptr : tensors[size_t(i)];
}

int WeightFile::indexOf(const QString& name) const {
    for (size_t i = 0; i < tensors.size(); ++i)
        if (tensors[i]->name == name) return int(i);
    return -1;
}

int64_t WeightFile::parameterCount() const {
    std::vector<int> all(tensors.size());
    for (size_t i = 0; i < all.size(); ++i)
        all[i] = int(i);
    return distinctElementCount(*this, all);
}

QStringList WeightFile::linkedTo(const Tensor& t) const {
    QStringList out;
    for (const auto& o : tensors)
        if (o.get() != &t && o->storage && o->storage == t.storage) out << o->name;
    return out;
}

} // namespace ws
