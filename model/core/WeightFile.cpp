// Lookup helpers over the tensors of an opened file.
#include "WeightFile.h"
#include "LayerTree.h"

#include <QFileInfo>
#include <QSet>
#include <QStringList>

namespace ws {

WeightFile::FileStamp WeightFile::stampOf(const QString& path) {
    const QFileInfo info(path);
    FileStamp st;
    if (info.exists()) {
        st.size = info.size();
        st.modified = info.lastModified();
    }
    return st;
}

void WeightFile::stamp(const FileStamp* main) {
    stamps.clear();
    stamps[path] = main ? *main : stampOf(path);
    for (const TensorPtr& t : tensors) {
        if (!t || !t->storage) continue;
        const QString other = t->storage->filePath();
        if (!other.isEmpty() && !stamps.count(other)) stamps[other] = stampOf(other);
    }
}

QString WeightFile::changedOnDisk() const {
    for (const auto& [file, then] : stamps) {
        const FileStamp now = stampOf(file);
        if (then.size < 0) continue; // did not exist then: nothing is read from it
        if (now.size < 0)
            return QStringLiteral("%1 was deleted or moved since it was opened").arg(file);
        if (now.size != then.size || now.modified != then.modified)
            return QStringLiteral("%1 changed on disk since it was opened (now %2 bytes, "
                                  "modified %3)")
                .arg(file)
                .arg(now.size)
                .arg(now.modified.toString(Qt::ISODate));
    }
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

WeightFile WeightFile::storedOnly() const {
    WeightFile copy = *this;
    copy.tensors.clear();
    for (const TensorPtr& t : tensors)
        if (!t->derived) copy.tensors.push_back(t);
    return copy;
}

int64_t WeightFile::parameterCount() const {
    // Stored tensors that another one is computed from (packed quantized weights) are
    // counted as that one.
    QSet<QString> sources;
    for (const auto& t : tensors)
        if (t->encoding)
            for (const QString& s : t->encoding->sources())
                if (s != t->name) sources.insert(s);
    std::vector<int> all;
    for (size_t i = 0; i < tensors.size(); ++i)
        if (!sources.contains(tensors[i]->name)) all.push_back(int(i));
    return distinctElementCount(*this, all);
}

QStringList WeightFile::linkedTo(const Tensor& t) const {
    QStringList out;
    for (const auto& o : tensors)
        if (o.get() != &t && o->storage && o->storage == t.storage) out << o->name;
    return out;
}

} // namespace ws
