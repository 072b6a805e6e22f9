// Lookup helpers over the tensors of an opened file.
#include "WeightFile.h"
#include "LayerTree.h"

#include <QFileInfo>
#include <QStringList>

namespace ws {

void WeightFile::stamp() {
    const QFileInfo info(path);
    stampSize = info.exists() ? info.size() : -1;
    stampModified = info.exists() ? info.lastModified() : QDateTime();
}

QString WeightFile::changedOnDisk() const {
    if (stampSize < 0) return QString();
    const QFileInfo info(path);
    if (!info.exists())
        return QStringLiteral("%1 was deleted or moved since it was opened").arg(path);
    if (info.size() != stampSize || info.lastModified() != stampModified)
        return QStringLiteral("%1 changed on disk since it was opened (now %2 bytes, modified "
                              "%3)")
            .arg(path)
            .arg(info.size())
            .arg(info.lastModified().toString(Qt::ISODate));
    return QString();
}

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
