// .keras archives. model.weights.h5 is a stored zip record, so it is a byte range
// of the archive: the helper opens that range as an HDF5 file in place (its range
// driver), contiguous variables are read straight from the archive, and nothing
// is extracted or held in memory at open. Saving extracts that one record to a
// temporary file, edits it in the helper and streams it into the new archive.
#include "KerasArchive.h"
#include "AtomicSave.h"
#include "Deflate.h"
#include "Hdf5Reader.h"
#include "Hdf5Save.h"
#include "KerasConfig.h"
#include "KerasLayout.h"
#include "TensorBytes.h"
#include "ZipRewrite.h"
#include "ZipWriter.h"

#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSet>

namespace ws {

namespace {

const QString kWeights = QStringLiteral("model.weights.h5");
constexpr qint64 kMaxJson = qint64(64) << 20;

/// What a .keras read keeps for saving.
class KerasArchiveState : public FormatState {
public:
    std::vector<ZipRecord> records; ///< every record, in archive order
    int weightsIndex = -1;          ///< model.weights.h5 among them
    Hdf5Source weights;             ///< where it lies in the archive
};

// The uncompressed bytes of a small record (config.json, metadata.json).
bool readSmallRecord(const QString& path, QFile& file, const ZipEntry& e, QByteArray* out,
                     QString* problem) {
    if (e.uncompressedSize > kMaxJson) {
        *problem = QStringLiteral("%1 is too large (%2 bytes)").arg(e.name).arg(e.uncompressedSize);
        return false;
    }
    if (e.method == 8) {
        bool complete = false;
        if (!inflateFileRange(path, e.dataOffset, e.compressedSize, e.uncompressedSize, out,
                              &complete, problem))
            return false;
        if (out->size() != e.uncompressedSize) {
            *problem = QStringLiteral("%1 inflates to %2 bytes, the directory says %3")
                           .arg(e.name)
                           .arg(out->size())
                           .arg(e.uncompressedSize);
            return false;
        }
        return true;
    }
    return ZipArchive().read(file, e, kMaxJson, out, problem);
}

// The first record's name, from a local header at the start of \a head.
QByteArray firstRecordName(const QByteArray& head) {
    if (!head.startsWith("PK\x03\x04") || head.size() < 30) return QByteArray();
    const int nameLen = uchar(head[26]) | (uchar(head[27]) << 8);
    return head.size() >= 30 + nameLen ? head.mid(30, nameLen) : QByteArray();
}

// Modules from config.json and tensors in the model's layer order.
void applyConfig(const KerasConfigLayers& config, Hdf5Layout* layout) {
    static const QSet<QString> conv = {QStringLiteral("Conv1D"), QStringLiteral("Conv2D"),
                                       QStringLiteral("Conv3D")};
    layout->modules = config.modules;
    QHash<QString, int> rank;
    for (const ModuleInfo& m : config.modules)
        rank.insert(m.path, int(rank.size()));
    for (Hdf5Dataset& d : layout->datasets) {
        const int at = d.path.lastIndexOf(QLatin1String("/vars/"));
        if (at < 0) continue;
        const QString cls = config.classOf.value(d.path.left(at));
        if (cls.isEmpty() || d.path.mid(at + 6) != QLatin1String("0")) continue;
        d.inputMajor = (cls == QLatin1String("Dense") && d.shape.size() == 2) ||
                       (conv.contains(cls) && d.shape.size() >= 3);
    }
    auto order = [&rank](const Hdf5Dataset& d) {
        const int at = d.path.lastIndexOf(QLatin1String("/vars/"));
        return at < 0 ? int(rank.size()) : rank.value(d.path.left(at), int(rank.size()));
    };
    std::stable_sort(
        layout->datasets.begin(), layout->datasets.end(),
        [&](const Hdf5Dataset& a, const Hdf5Dataset& b) { return order(a) < order(b); });
}

} // namespace

int KerasArchiveFormat::probe(const QByteArray& head, const QString& path) const {
    const QByteArray first = firstRecordName(head);
    if (first == "metadata.json" || first == "config.json" || first == "model.weights.h5") return 3;
    if (head.startsWith("PK\x03\x04") &&
        path.endsWith(QLatin1String(".keras"), Qt::CaseInsensitive))
        return 2;
    return 0;
}

std::unique_ptr<WeightFile> KerasArchiveFormat::read(const QString& path, QString* error,
                                                     const ProgressFn& progress) const {
    auto fail = [&](const QString& problem) {
        *error = QStringLiteral("%1: %2").arg(path, problem);
        return nullptr;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot open: %1").arg(file.errorString()));
    ZipArchive zip;
    QString problem;
    if (!zip.open(file, &problem)) return fail(problem);
    auto state = std::make_shared<KerasArchiveState>();
    QByteArray config, metadataJson;
    for (const ZipEntry& e : zip.entries()) {
        ZipRecord r;
        if (!readZipRecord(file, e, &r, &problem)) return fail(problem);
        if (e.name == kWeights) state->weightsIndex = int(state->records.size());
        if (e.name == QLatin1String("config.json") &&
            !readSmallRecord(path, file, e, &config, &problem))
            return fail(problem);
        if (e.name == QLatin1String("metadata.json") &&
            !readSmallRecord(path, file, e, &metadataJson, &problem))
            return fail(problem);
        state->records.push_back(std::move(r));
    }
    if (state->weightsIndex < 0)
        return fail(QStringLiteral("no %1 in the archive: not a Keras 3 model").arg(kWeights));
    const ZipEntry& w = state->records[size_t(state->weightsIndex)].zip;
    if (w.method != 0 || w.compressedSize != w.uncompressedSize)
        return fail(QStringLiteral("%1 is compressed (method %2); Keras stores it, and only a "
                                   "stored one can be read in place")
                        .arg(kWeights)
                        .arg(w.method));
    state->weights = Hdf5Source{path, w.dataOffset, w.compressedSize, path};
    if (progress) progress(0.1);

    Hdf5Scan scan;
    if (!scanHdf5(state->weights, &scan, error)) return nullptr;
    const Hdf5Scan facts = scan;
    Hdf5Layout layout = kerasLayout(std::move(scan));
    KerasConfigLayers layers;
    if (config.isEmpty() || !kerasLayersFromConfig(config, facts, &layers, &problem))
        layout.otherEntries << QStringLiteral("config.json: %1; layer classes are guessed from "
                                              "the weights' folders")
                                   .arg(config.isEmpty() ? QStringLiteral("missing") : problem);
    else
        applyConfig(layers, &layout);

    auto out = std::make_unique<WeightFile>();
    out->path = path;
    out->formatId = id();
    out->format = this;
    out->separator = QLatin1Char('/');
    const QJsonObject meta = QJsonDocument::fromJson(metadataJson).object();
    for (auto it = meta.begin(); it != meta.end(); ++it)
        if (it.value().isString()) out->metadata.insert(it.key(), it.value().toString());
    const QString version = out->metadata.value(QStringLiteral("keras_version"));
    out->formatName = QStringLiteral("Keras%1 model (.keras)")
                          .arg(version.isEmpty() ? QString() : QLatin1Char(' ') + version);
    out->modules = std::move(layout.modules);
    out->otherEntries = std::move(layout.otherEntries);
    for (const Hdf5Dataset& d : layout.datasets)
        out->tensors.push_back(hdf5Tensor(state->weights, d));
    out->state = state;
    if (progress) progress(1.0);
    return out;
}

bool kerasWeightsRange(const WeightFile& file, qint64* offset, qint64* size) {
    auto state = std::dynamic_pointer_cast<KerasArchiveState>(file.state);
    if (!state || file.formatId != QLatin1String("keras")) return false;
    *offset = state->weights.offset;
    *size = state->weights.size;
    return true;
}

bool KerasArchiveFormat::save(const WeightFile& file, const QString& path, QString* error) const {
    auto state = std::dynamic_pointer_cast<KerasArchiveState>(file.state);
    if (file.formatId != id() || !state) {
        *error = QStringLiteral("%1: a .keras archive needs the Keras model configuration of a "
                                ".keras file that was opened; save this model as .h5 instead")
                     .arg(path);
        return false;
    }
    std::vector<Hdf5Record> edits;
    QSet<const Storage*> done;
    for (const TensorPtr& t : file.tensors) {
        const Storage* s = t->storage.get();
        if (!s || !s->isDirty() || done.contains(s)) continue;
        done.insert(s);
        edits.emplace_back(s->key(), t);
    }
    // The edited weights file, complete and checked, before the archive is written.
    AtomicTempFile weights(path);
    quint32 crc = 0;
    qint64 size = 0;
    if (!edits.empty()) {
        if (!weights.create(file.path, error, state->weights.offset, state->weights.size) ||
            !writeHdf5Records(weights.path(), edits, false, path, error))
            return false;
        QFile in(weights.path());
        if (!in.open(QIODevice::ReadOnly)) {
            *error =
                QStringLiteral("%1: cannot read the saved weights: %2").arg(path, in.errorString());
            return false;
        }
        QByteArray block;
        while (!(block = in.read(qint64(1) << 20)).isEmpty()) {
            crc = crc32Update(crc, block.constData(), block.size());
            size += block.size();
        }
    }
    std::vector<const ZipRecord*> records;
    for (const ZipRecord& r : state->records)
        records.push_back(&r);
    const QString weightsPath = weights.path();
    const auto change = [&](size_t i, bool* replace, ZipReplacement* with, QString*) {
        *replace = !edits.empty() && int(i) == state->weightsIndex;
        if (*replace) {
            with->crc = crc;
            with->compressedSize = with->uncompressedSize = size;
            with->writeData = [weightsPath, size](QIODevice* out, QString* err) {
                return copyFileRange(weightsPath, 0, size, out, err);
            };
        }
        return true;
    };
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write: %2").arg(path, out.errorString());
        return false;
    }
    if (!rewriteZip(file.path, records, change, &out, error)) {
        out.cancelWriting();
        return false;
    }
    return commitSaveFile(out, path, error, &file);
}

} // namespace ws
