// HDF5 saving: the original file is copied next to the target, the helper writes
// the edited datasets into the copy through libhdf5 (which applies each dataset's
// own filters and byte order), the copy is read back and compared, synced and
// renamed over the target. Files from other formats are written fresh, one
// dataset per tensor. libhdf5 never runs in this process, for reading or writing.
#include "Hdf5Save.h"
#include "AtomicSave.h"
#include "Hdf5Format.h"
#include "Hdf5Helper.h"
#include "Hdf5Reader.h"
#include "KerasArchive.h"
#include "TensorBytes.h"

#include <QBuffer>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace ws {

namespace {

// The tensor's values in C order, as bytes of its dtype.
bool tensorBytes(const Tensor& t, QByteArray* out, QString* error) {
    out->clear();
    out->reserve(qsizetype(t.numel() * dtypeSize(t.dtype)));
    QBuffer buffer(out);
    buffer.open(QIODevice::WriteOnly);
    return writeTensorBytes(t, &buffer, error);
}

QByteArray recordHeader(const QString& path, const Tensor& t) {
    QJsonArray shape;
    for (int64_t d : t.shape)
        shape.append(qint64(d));
    const QJsonObject o{{QStringLiteral("path"), path},
                        {QStringLiteral("dtype"), dtypeName(t.dtype)},
                        {QStringLiteral("shape"), shape},
                        {QStringLiteral("bytes"), qint64(t.numel() * dtypeSize(t.dtype))}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n';
}

// Feeds the helper's stdin: each record's header line and bytes, then an empty line.
class RecordStream {
public:
    explicit RecordStream(const std::vector<Hdf5Record>& records) : m_records(records) {}
    qint64 fill(char* data, qint64 size, QString* error) {
        while (m_pos == m_buffer.size()) {
            if (m_next > m_records.size()) return 0;
            m_pos = 0;
            if (m_next == m_records.size()) {
                m_buffer = QByteArray("\n");
            } else {
                const auto& [path, tensor] = m_records[m_next];
                QByteArray bytes;
                if (!tensorBytes(*tensor, &bytes, error)) return -1;
                m_buffer = recordHeader(path, *tensor) + bytes;
            }
            ++m_next;
        }
        const qint64 n = std::min(size, qint64(m_buffer.size()) - m_pos);
        memcpy(data, m_buffer.constData() + m_pos, size_t(n));
        m_pos += n;
        if (m_pos == m_buffer.size()) m_buffer.clear(), m_pos = 0; // free the tensor's copy
        return n;
    }

private:
    const std::vector<Hdf5Record>& m_records;
    size_t m_next = 0;
    QByteArray m_buffer;
    qint64 m_pos = 0;
};

// Reads the written file back and compares each record's dataset with its tensor.
bool verify(const QString& h5Path, const std::vector<Hdf5Record>& records, const QString& shownName,
            QString* error) {
    Hdf5Source source;
    source.path = h5Path;
    source.shownName = shownName;
    Hdf5Scan scan;
    if (!scanHdf5(source, &scan, error)) return false;
    QHash<QString, const Hdf5Dataset*> byPath;
    for (const Hdf5Dataset& d : scan.datasets)
        byPath.insert(d.path, &d);
    for (const auto& [path, tensor] : records) {
        const Hdf5Dataset* d = byPath.value(path);
        if (!d || d->dtype != tensor->dtype || d->shape != tensor->shape) {
            *error = QStringLiteral("%1: the saved file does not hold dataset %2 as written; "
                                    "nothing was saved")
                         .arg(shownName, path);
            return false;
        }
        QByteArray want, got;
        QString problem;
        const TensorPtr saved = hdf5Tensor(source, *d);
        if (!tensorBytes(*tensor, &want, error)) return false;
        if (!saved->storage->readAll(&got, &problem) || got != want) {
            *error = QStringLiteral("%1: dataset %2 reads back differently from what was "
                                    "written%3; nothing was saved")
                         .arg(shownName, path,
                              problem.isEmpty() ? QString() : QStringLiteral(" (") + problem + ')');
            return false;
        }
    }
    return true;
}

qint64 largestChunk(const std::vector<Hdf5Record>& records) {
    qint64 most = 0;
    for (const auto& r : records)
        most = std::max<qint64>(most, r.second->numel() * dtypeSize(r.second->dtype));
    return std::min<qint64>(most, qint64(1) << 32); // HDF5 chunks are below 4 GiB
}

} // namespace

bool writeHdf5Records(const QString& h5Path, const std::vector<Hdf5Record>& records, bool create,
                      const QString& shownName, QString* error) {
    RecordStream stream(records);
    Hdf5HelperRun run;
    run.arguments = {create ? QStringLiteral("create") : QStringLiteral("write"), h5Path};
    run.file = shownName;
    run.what = QStringLiteral("writing the edited datasets");
    // A dataset's chunks are rarely bigger than the dataset: allow the largest one.
    run.memoryBudget = hdf5HelperBudget(largestChunk(records));
    run.input = [&stream](char* data, qint64 size, QString* problem) {
        return stream.fill(data, size, problem);
    };
    if (!runHdf5Helper(run, error)) return false;
    return verify(h5Path, records, shownName, error);
}

bool Hdf5Format::save(const WeightFile& file, const QString& path, QString* error) const {
    // A .keras archive's weights are an HDF5 file: Save As .h5 starts from that file.
    qint64 offset = 0, size = -1;
    const bool keras = kerasWeightsRange(file, &offset, &size);
    const bool ownFile = (keras || file.formatId == id()) && QFileInfo(file.path).isFile();
    std::vector<Hdf5Record> records;
    QSet<const Storage*> done;
    for (const TensorPtr& t : file.tensors) {
        if (!ownFile) {
            QString name = t->name;
            while (name.startsWith(QLatin1Char('/')))
                name.remove(0, 1);
            if (name.isEmpty()) {
                *error = QStringLiteral("%1: tensor '%2' has no name to use as a dataset path")
                             .arg(path, t->name);
                return false;
            }
            records.emplace_back(name, t);
            continue;
        }
        const Storage* s = t->storage.get();
        if (!s || !s->isDirty() || done.contains(s)) continue;
        done.insert(s);
        records.emplace_back(s->key(), t);
    }
    AtomicTempFile tmp(path);
    if (!tmp.create(ownFile ? file.path : QString(), error, offset, size)) return false;
    if (ownFile && records.empty()) return tmp.commit(error, &file); // nothing edited: a copy
    if (!writeHdf5Records(tmp.path(), records, !ownFile, path, error)) return false;
    return tmp.commit(error, &file);
}

} // namespace ws
