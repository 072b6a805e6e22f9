// HDF5 reading: the helper walks the file and reports what it found; tensors
// whose bytes lie in the file as they are read straight from it (no libhdf5, our
// own range checks), the others through the helper when first shown.
#include "Hdf5Reader.h"
#include "Hdf5Format.h"
#include "Hdf5Helper.h"
#include "KerasLayout.h"

#include <QFileInfo>

namespace ws {

namespace {

constexpr qint64 kHelperBaseMemory = qint64(512) << 20;
constexpr qint64 kMaxReport = qint64(512) << 20;

QString shapeArgument(const std::vector<int64_t>& shape) {
    QStringList dims;
    for (int64_t d : shape)
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QLatin1Char(',')) + QLatin1Char(']');
}

qint64 byteSizeOf(const Hdf5Dataset& d) {
    qint64 n = 1;
    for (int64_t x : d.shape)
        n *= x;
    return n * dtypeSize(d.dtype);
}

} // namespace

QStringList Hdf5Source::rangeArguments() const {
    if (size < 0) return {};
    return {QStringLiteral("--range"), QString::number(offset), QString::number(size)};
}

qint64 hdf5HelperBudget(qint64 chunkBytes) {
    return kHelperBaseMemory + 4 * chunkBytes + 2 * kHdf5SlabBytes;
}

bool scanHdf5(const Hdf5Source& source, Hdf5Scan* scan, QString* error) {
    QByteArray report;
    Hdf5HelperRun run;
    run.arguments = QStringList{QStringLiteral("scan"), source.path} + source.rangeArguments();
    run.file = source.shownName;
    run.what = QStringLiteral("reading the file's structure");
    run.memoryBudget = kHelperBaseMemory;
    run.output = [&](const char* data, qint64 size, QString* problem) {
        if (report.size() + size > kMaxReport) {
            *problem = QStringLiteral("%1: the file's structure is too large to list (more than "
                                      "%2 MiB)")
                           .arg(source.shownName)
                           .arg(kMaxReport >> 20);
            return false;
        }
        report.append(data, qsizetype(size));
        return true;
    };
    if (!runHdf5Helper(run, error)) return false;
    QString problem;
    if (!hdf5ScanFromJson(report, scan, &problem)) {
        *error = QStringLiteral("%1: %2").arg(source.shownName, problem);
        return false;
    }
    return true;
}

bool readHdf5Values(const Hdf5Source& source, const Hdf5Dataset& d, QByteArray* bytes,
                    QString* error) {
    const qint64 byteSize = byteSizeOf(d);
    bytes->resize(qsizetype(byteSize));
    qint64 got = 0;
    Hdf5HelperRun run;
    run.arguments = QStringList{QStringLiteral("read"), source.path, d.path, dtypeName(d.dtype),
                                shapeArgument(d.shape)} +
                    source.rangeArguments();
    run.file = source.shownName;
    run.what = QStringLiteral("reading dataset %1").arg(d.path);
    run.memoryBudget = hdf5HelperBudget(d.chunkBytes);
    run.into = bytes;
    run.received = &got;
    if (!runHdf5Helper(run, error)) {
        bytes->clear();
        return false;
    }
    if (got != byteSize) {
        *error = QStringLiteral("%1: the HDF5 helper sent %2 of the %3 bytes of dataset %4")
                     .arg(source.shownName)
                     .arg(got)
                     .arg(byteSize)
                     .arg(d.path);
        bytes->clear();
        return false;
    }
    return true;
}

TensorPtr hdf5Tensor(const Hdf5Source& source, const Hdf5Dataset& d) {
    auto t = std::make_shared<Tensor>();
    t->name = d.path;
    t->dtype = d.dtype;
    t->setContiguousShape(d.shape);
    t->inputMajor = d.inputMajor;
    t->problem = d.problem;
    const qint64 byteSize = byteSizeOf(d);
    const qint64 hdf5Size = source.size >= 0 ? source.size : QFileInfo(source.path).size();
    if (!d.problem.isEmpty()) {
        const QString message = QStringLiteral("%1: dataset %2 cannot be read: %3")
                                    .arg(source.shownName, d.path, d.problem);
        t->storage = Storage::fromLoader(
            [message](QByteArray&, QString* error) {
                *error = message;
                return false;
            },
            byteSize, d.path);
    } else if (d.rawOffset >= 0 && byteSize > 0 && d.rawOffset <= hdf5Size - byteSize) {
        t->storage =
            Storage::fromFileRange(source.path, source.offset + d.rawOffset, byteSize, d.path);
    } else {
        t->storage = Storage::fromLoader(
            [source, d](QByteArray& bytes, QString* error) {
                return readHdf5Values(source, d, &bytes, error);
            },
            byteSize, d.path);
    }
    return t;
}

void setHdf5StructureTimeout(int ms) {
    Hdf5HelperLimits limits = hdf5HelperLimits();
    limits.timeoutMs = std::max(ms, 1000);
    setHdf5HelperLimits(limits);
}

QStringList Hdf5Format::nameFilters() const {
    return {QStringLiteral("*.h5"), QStringLiteral("*.weights.h5"), QStringLiteral("*.hdf5"),
            QStringLiteral("*.he5")};
}

int Hdf5Format::probe(const QByteArray& head, const QString& path) const {
    static const QByteArray magic("\x89HDF\r\n\x1a\n", 8);
    for (int offset : {0, 512, 1024, 2048})
        if (head.size() >= offset + 8 && head.mid(offset, 8) == magic) return 2;
    for (const char* suffix : {".h5", ".hdf5", ".he5"})
        if (path.endsWith(QLatin1String(suffix), Qt::CaseInsensitive)) return 1;
    return 0;
}

std::unique_ptr<WeightFile> Hdf5Format::read(const QString& path, QString* error,
                                             const ProgressFn& progress) const {
    Hdf5Source source;
    source.path = path;
    source.shownName = path;
    Hdf5Scan scan;
    if (!scanHdf5(source, &scan, error)) return nullptr;
    Hdf5Layout layout = kerasLayout(std::move(scan));
    auto out = std::make_unique<WeightFile>();
    out->path = path;
    out->formatId = id();
    out->format = this;
    out->formatName = layout.formatName;
    out->separator = QLatin1Char('/');
    out->metadata = std::move(layout.metadata);
    out->modules = std::move(layout.modules);
    out->otherEntries = std::move(layout.otherEntries);
    out->tensors.reserve(layout.datasets.size());
    for (const Hdf5Dataset& d : layout.datasets)
        out->tensors.push_back(hdf5Tensor(source, d));
    if (progress) progress(1.0);
    return out;
}

} // namespace ws
