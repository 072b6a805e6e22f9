// Reading a save back before its rename: the tensor list is compared whole (names,
// types, shapes), the values only of the tensors with unsaved edits (each storage range
// once, however many tensors share it), so the cost follows what was edited, not the
// size of the file.
#include "SaveReadBack.h"
#include "FileFormat.h"
#include "TensorBytes.h"

#include <QBuffer>
#include <algorithm>
#include <cstring>
#include <vector>

namespace ws {

namespace {

constexpr qint64 kChunk = qint64(4) << 20;
/// Views that are not one contiguous range are gathered in memory up to this size.
constexpr qint64 kGatherLimit = qint64(256) << 20;

// The bytes that hold a tensor's values: an encoded tensor's whole storage (blocks,
// packed integers), a contiguous tensor's range of its storage; false for a view.
bool valueRange(const Tensor& t, qint64* offset, qint64* length) {
    if (!t.storage) return false;
    if (t.encoding) {
        *offset = 0;
        *length = t.storage->byteSize();
        return true;
    }
    const int size = dtypeSize(t.dtype);
    if (size <= 0 || !t.isContiguous()) return false;
    *offset = t.storageOffset * size;
    *length = t.numel() * size;
    return true;
}

QString differsAt(const Tensor& t, qint64 byte) {
    const int size = t.encoding ? 1 : std::max(1, dtypeSize(t.dtype));
    return t.encoding ? QStringLiteral("tensor '%1' differs from the document at byte %2 of its "
                                       "encoded data (a bug in the writer)")
                            .arg(t.name)
                            .arg(byte)
                      : QStringLiteral("tensor '%1' differs from the document at element %2 "
                                       "(a bug in the writer)")
                            .arg(t.name)
                            .arg(byte / size);
}

// Compares \a length bytes of two storages a few MB at a time.
bool compareStorages(const Tensor& want, qint64 wantOffset, const Storage& got, qint64 gotOffset,
                     qint64 length, QString* error) {
    std::vector<char> a(size_t(std::min(length, kChunk))), b(a.size());
    for (qint64 pos = 0; pos < length; pos += kChunk) {
        const qint64 n = std::min(kChunk, length - pos);
        QString why;
        if (!want.storage->readBytes(wantOffset + pos, n, a.data(), &why) ||
            !got.readBytes(gotOffset + pos, n, b.data(), &why)) {
            *error = QStringLiteral("tensor '%1': %2").arg(want.name, why);
            return false;
        }
        if (std::memcmp(a.data(), b.data(), size_t(n)) != 0) {
            qint64 i = 0;
            while (a[size_t(i)] == b[size_t(i)])
                ++i;
            *error = differsAt(want, pos + i);
            return false;
        }
    }
    return true;
}

bool gather(const Tensor& t, QByteArray* out, QString* error) {
    QBuffer buffer(out);
    buffer.open(QIODevice::WriteOnly);
    return writeTensorBytes(t, &buffer, error);
}

} // namespace

SaveReadBack::SaveReadBack(const WeightFile& stored, const FileFormat* format, bool conversion)
    : m_tensors(stored.tensors), m_format(format), m_conversion(conversion) {
    for (const TensorPtr& t : m_tensors) {
        m_byName.insert(t->name, t);
        if (t->storage && t->storage->isDirty()) m_edited.insert(t->name);
    }
}

bool SaveReadBack::check(const QString& readPath, const QString& target, bool part,
                         QSet<QString>* seen, QString* error) const {
    QString why;
    const std::unique_ptr<WeightFile> back = m_format->read(readPath, &why);
    if (!back) {
        // the reader names the path it read, which is the temporary link
        why.replace(readPath, target);
        *error = QStringLiteral("our reader cannot read it: %1").arg(why);
        return false;
    }
    std::vector<TensorPtr> got;
    for (const TensorPtr& t : back->tensors)
        if (!t->derived) got.push_back(t);
    if (m_conversion) {
        if (!part && got.size() != m_tensors.size()) {
            *error = QStringLiteral("it holds %1 tensors where the document has %2")
                         .arg(got.size())
                         .arg(m_tensors.size());
            return false;
        }
        return true;
    }
    // A lone array named after its file (.npy) keeps its values under a new name.
    const bool lone = !part && got.size() == 1 && m_tensors.size() == 1;
    QSet<QString> names;
    for (const TensorPtr& g : got) {
        const TensorPtr want = lone ? m_tensors.front() : m_byName.value(g->name);
        if (!want) {
            *error = QStringLiteral("it holds a tensor '%1' that the document does not have")
                         .arg(g->name);
            return false;
        }
        if (names.contains(want->name)) {
            *error = QStringLiteral("it holds tensor '%1' twice").arg(want->name);
            return false;
        }
        names.insert(want->name);
        if (!compareTensor(*want, *g, error)) return false;
    }
    if (!part)
        for (const TensorPtr& t : m_tensors)
            if (!names.contains(t->name)) {
                *error = QStringLiteral("tensor '%1' is missing from it").arg(t->name);
                return false;
            }
    if (seen) seen->unite(names);
    return true;
}

bool SaveReadBack::complete(const QSet<QString>& seen, QString* error) const {
    if (m_conversion) return true;
    for (const QString& name : m_edited)
        if (!seen.contains(name)) {
            *error =
                QStringLiteral("the edited tensor '%1' is in none of the written files").arg(name);
            return false;
        }
    return true;
}

bool SaveReadBack::compareTensor(const Tensor& want, const Tensor& got, QString* error) const {
    if (want.dtype != got.dtype || want.shape != got.shape || want.typeName() != got.typeName()) {
        *error = QStringLiteral("tensor '%1' is %2 %3 in it, %4 %5 in the document")
                     .arg(want.name, got.typeName(), got.shapeString(), want.typeName(),
                          want.shapeString());
        return false;
    }
    if (!got.problem.isEmpty() && want.problem.isEmpty()) {
        *error =
            QStringLiteral("tensor '%1' cannot be read from it: %2").arg(want.name, got.problem);
        return false;
    }
    if (!m_edited.contains(want.name) || !want.problem.isEmpty()) return true;
    if (!got.storage) {
        *error = QStringLiteral("tensor '%1' has no data in it").arg(want.name);
        return false;
    }
    // Storage ranges: the ones already compared (a tied weight's) are not read again.
    const auto compareRange = [&](qint64 wantOffset, qint64 gotOffset, qint64 length) {
        const QString key = QStringLiteral("%1:%2:%3:%4:%5")
                                .arg(quintptr(want.storage.get()))
                                .arg(wantOffset)
                                .arg(quintptr(got.storage.get()))
                                .arg(gotOffset)
                                .arg(length);
        if (m_comparedRanges.contains(key)) return true;
        m_compared += length;
        if (!compareStorages(want, wantOffset, *got.storage, gotOffset, length, error))
            return false;
        m_comparedRanges.insert(key);
        return true;
    };
    qint64 wantOffset = 0, wantLength = 0, gotOffset = 0, gotLength = 0;
    if (valueRange(want, &wantOffset, &wantLength) && valueRange(got, &gotOffset, &gotLength) &&
        wantLength == gotLength)
        return compareRange(wantOffset, gotOffset, wantLength);
    // Views (a PyTorch slice of a larger storage) are kept with their storage.
    if (want.storage->byteSize() == got.storage->byteSize())
        return compareRange(0, 0, want.storage->byteSize());
    const qint64 bytes = want.numel() * std::max(1, dtypeSize(want.dtype));
    if (bytes > kGatherLimit) {
        *error = QStringLiteral("tensor '%1' is a view of %2 bytes that cannot be compared in "
                                "pieces")
                     .arg(want.name)
                     .arg(bytes);
        return false;
    }
    QByteArray a, b;
    QString why;
    if (!gather(want, &a, &why) || !gather(got, &b, &why)) {
        *error = QStringLiteral("tensor '%1': %2").arg(want.name, why);
        return false;
    }
    m_compared += a.size();
    if (a == b) return true;
    qint64 i = 0;
    while (i < std::min(a.size(), b.size()) && a[i] == b[i])
        ++i;
    *error = differsAt(want, i);
    return false;
}

} // namespace ws
