// The helper's walk of an HDF5 file: a depth-first visit that records every
// numeric dataset (name, type, shape, where its bytes lie, a filter that is not
// available), lists the other objects with the reason, and collects the string
// attributes Keras keeps its layer lists and layer names in.
#include "Hdf5Walk.h"

#include <H5PLpublic.h>

namespace ws {

using hdf5::Handle;

namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxObjects = 200000;
constexpr int kMaxMembers = 1000000;

QString sizeText(qint64 bytes) {
    return QStringLiteral("%1 bytes").arg(bytes);
}

// Where a dataset's elements lie in the file exactly as a Tensor holds them: a
// contiguous, allocated dataset whose file type is the native little-endian type
// we read it as. Such tensors are read straight from the file (lazily, in
// parallel, streamed by export) without the HDF5 library; others through it.
qint64 plainOffset(hid_t dataset, const hdf5::ElementType& et, const std::vector<int64_t>& shape,
                   qint64 fileSize) {
    Handle dcpl(H5Dget_create_plist(dataset));
    Handle type(H5Dget_type(dataset));
    if (!dcpl.valid() || !type.valid() || !et.memType.valid() ||
        H5Pget_layout(dcpl.id()) != H5D_CONTIGUOUS || H5Tequal(type.id(), et.memType.id()) <= 0)
        return -1;
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    const qint64 bytes = qint64(n) * dtypeSize(et.dtype);
    const haddr_t addr = H5Dget_offset(dataset); // absolute: includes any user block
    if (bytes <= 0 || addr == HADDR_UNDEF || H5Dget_storage_size(dataset) != hsize_t(bytes) ||
        addr > haddr_t(fileSize) || qint64(addr) > fileSize - bytes)
        return -1;
    return qint64(addr);
}

// "filter 40000 'weightscope test filter' is not available" for the first filter of
// \a dcpl that this HDF5 library cannot run (plugins included), else empty.
QString unavailableFilter(hid_t dcpl) {
    const int filters = H5Pget_nfilters(dcpl);
    for (int i = 0; i < filters; ++i) {
        unsigned flags = 0, cd[16] = {};
        size_t cdCount = 16;
        char name[256] = {};
        const H5Z_filter_t id =
            H5Pget_filter2(dcpl, unsigned(i), &flags, &cdCount, cd, sizeof name, name, nullptr);
        if (id >= 0 && H5Zfilter_avail(id) > 0) continue;
        H5Eclear2(H5E_DEFAULT);
        QString text = QStringLiteral("filter %1 '%2' is not available")
                           .arg(int(id))
                           .arg(QString::fromUtf8(name, int(qstrnlen(name, sizeof name))));
        unsigned mask = H5PL_ALL_PLUGIN;
        if (H5PLget_loading_state(&mask) >= 0 && !(mask & H5PL_FILTER_PLUGIN))
            text += QStringLiteral(" (filter plugins are disabled)");
        return text;
    }
    return QString();
}

} // namespace

bool inspectDataset(hid_t dataset, qint64 fileSize, hdf5::ElementType* et,
                    std::vector<int64_t>* dims, QString* reason, QString* problem,
                    qint64* chunkBytes) {
    Handle type(H5Dget_type(dataset));
    Handle space(H5Dget_space(dataset));
    Handle dcpl(H5Dget_create_plist(dataset));
    if (!type.valid() || !space.valid() || !dcpl.valid()) {
        *reason = hdf5::takeError();
        return false;
    }
    auto mapped = hdf5::elementType(type.id(), reason, dataset);
    if (!mapped) return false;
    if (!hdf5::dimensions(space.id(), dims, reason)) return false;
    int64_t n = 1;
    for (int64_t d : *dims) {
        if (d != 0 && n > kHdf5MaxElements / d) {
            *reason = QStringLiteral("absurd shape");
            return false;
        }
        n *= d;
    }
    if (H5Pget_external_count(dcpl.id()) > 0) {
        *reason = QStringLiteral("raw data in external files (not followed)");
        return false;
    }
    const qint64 fileBytes = qint64(n) * qint64(H5Tget_size(type.id()));
    const qint64 memBytes = qint64(n) * dtypeSize(mapped->dtype);
    qint64 chunk = 0;
    switch (H5Pget_layout(dcpl.id())) {
    case H5D_CONTIGUOUS:
    case H5D_COMPACT:
        if (fileBytes > fileSize) {
            *reason = QStringLiteral("claims %1 but the file has only %2")
                          .arg(sizeText(fileBytes), sizeText(fileSize));
            return false;
        }
        break;
    case H5D_CHUNKED: {
        if (memBytes > hdf5ChunkedLimit(fileSize)) {
            *reason = QStringLiteral("decompresses to %1, more than we read from a file of %2")
                          .arg(sizeText(memBytes), sizeText(fileSize));
            return false;
        }
        hsize_t cdims[H5S_MAX_RANK] = {};
        const int rank = H5Pget_chunk(dcpl.id(), H5S_MAX_RANK, cdims);
        chunk = qint64(H5Tget_size(type.id()));
        for (int i = 0; i < rank; ++i)
            chunk =
                cdims[i] > hsize_t(qint64(1) << 32) ? (qint64(1) << 32) : chunk * qint64(cdims[i]);
        chunk = std::min(chunk, qint64(1) << 32); // HDF5 chunks are below 4 GiB
        break;
    }
    case H5D_VIRTUAL:
        *reason = QStringLiteral("virtual dataset (not supported)");
        return false;
    default:
        *reason = QStringLiteral("unknown storage layout");
        return false;
    }
    const QString missing = unavailableFilter(dcpl.id());
    if (!missing.isEmpty()) {
        if (!problem) {
            *reason = missing;
            return false;
        }
        *problem = missing;
    }
    if (chunkBytes) *chunkBytes = chunk;
    *et = std::move(*mapped);
    return true;
}

namespace {

struct Walker {
    qint64 fileSize = 0;
    Hdf5Scan* scan = nullptr;
    QHash<haddr_t, QString> visited;
    int objects = 0;

    void other(const QString& path, const QString& reason) {
        scan->otherEntries << path + QStringLiteral(": ") + reason;
    }

    // The string attributes Keras reads from group \a group at \a path.
    void attributes(hid_t group, const QString& path) {
        QMap<QString, QStringList> found;
        for (const char* name : {"layer_names", "weight_names"}) {
            QStringList values;
            if (hdf5::readSplitStringAttribute(group, QLatin1String(name), &values))
                found.insert(QLatin1String(name), values);
        }
        if (path == QLatin1String("vars") || path.endsWith(QLatin1String("/vars"))) {
            scan->varsGroups << path;
            QStringList values;
            if (hdf5::readStringAttribute(group, "name", &values))
                found.insert(QStringLiteral("name"), values);
        }
        H5Eclear2(H5E_DEFAULT);
        if (!found.isEmpty()) scan->attributes.insert(path, found);
    }

    void walk(hid_t group, const QString& prefix, int depth) {
        const QStringList names = hdf5::memberNames(group, kMaxMembers);
        for (const QString& name : names) {
            if (++objects > kMaxObjects) {
                other(prefix + name, QStringLiteral("too many objects; the rest is not listed"));
                return;
            }
            const QString path = prefix + name;
            const QByteArray cname = name.toUtf8();
            H5L_info_t link;
            if (H5Lget_info(group, cname.constData(), &link, H5P_DEFAULT) < 0) {
                other(path, QStringLiteral("unreadable link: ") + hdf5::takeError());
                continue;
            }
            if (link.type == H5L_TYPE_SOFT) {
                other(path, QStringLiteral("soft link (not followed)"));
                continue;
            }
            if (link.type != H5L_TYPE_HARD) {
                other(path, QStringLiteral("external link (not followed)"));
                continue;
            }
            auto seen = visited.constFind(link.u.address);
            if (seen != visited.constEnd()) {
                other(path, QStringLiteral("another link to ") + seen.value());
                continue;
            }
            visited.insert(link.u.address, path);
            Handle object(H5Oopen(group, cname.constData(), H5P_DEFAULT));
            if (!object.valid()) {
                other(path, QStringLiteral("cannot open: ") + hdf5::takeError());
                continue;
            }
            switch (H5Iget_type(object.id())) {
            case H5I_GROUP:
                attributes(object.id(), path);
                if (depth >= kMaxDepth)
                    other(path, QStringLiteral("groups nested too deeply"));
                else
                    walk(object.id(), path + QLatin1Char('/'), depth + 1);
                break;
            case H5I_DATASET:
                dataset(object.id(), path);
                break;
            case H5I_DATATYPE:
                break; // a named datatype: not data
            default:
                other(path, QStringLiteral("unknown object"));
                break;
            }
        }
        H5Eclear2(H5E_DEFAULT);
    }

    void dataset(hid_t id, const QString& path) {
        hdf5::ElementType et;
        Hdf5Dataset d;
        QString reason;
        if (!inspectDataset(id, fileSize, &et, &d.shape, &reason, &d.problem, &d.chunkBytes)) {
            H5Eclear2(H5E_DEFAULT);
            other(path, reason);
            return;
        }
        d.path = path;
        d.dtype = et.dtype;
        if (d.problem.isEmpty()) d.rawOffset = plainOffset(id, et, d.shape, fileSize);
        H5Eclear2(H5E_DEFAULT);
        scan->datasets.push_back(std::move(d));
    }
};

// Every string attribute of the root group (keras_version, backend, model_config, ...).
void rootAttributes(hid_t file, Hdf5Scan* scan) {
    H5O_info_t info;
    if (H5Oget_info2(file, &info, H5O_INFO_NUM_ATTRS) < 0) return;
    QMap<QString, QStringList> found;
    for (hsize_t i = 0; i < std::min<hsize_t>(info.num_attrs, 1000); ++i) {
        char name[256] = {};
        const ssize_t len = H5Aget_name_by_idx(file, "/", H5_INDEX_NAME, H5_ITER_INC, i, name,
                                               sizeof name, H5P_DEFAULT);
        if (len <= 0 || len >= ssize_t(sizeof name)) continue;
        QStringList values;
        if (hdf5::readStringAttribute(file, name, &values))
            found.insert(QString::fromUtf8(name), values);
    }
    // Keras splits attributes over 64 KiB into name0, name1, ...: join those it reads.
    for (const char* split : {"model_config", "layer_names"}) {
        QStringList values;
        if (!found.contains(QLatin1String(split)) &&
            hdf5::readSplitStringAttribute(file, QLatin1String(split), &values))
            found.insert(QLatin1String(split), values);
    }
    H5Eclear2(H5E_DEFAULT);
    if (!found.isEmpty()) scan->attributes.insert(QString(), found);
}

} // namespace

void walkHdf5File(hid_t file, qint64 fileSize, Hdf5Scan* scan) {
    Handle root(H5Gopen2(file, "/", H5P_DEFAULT));
    if (!root.valid()) return;
    Walker walker;
    walker.fileSize = fileSize;
    walker.scan = scan;
    walker.walk(root.id(), QString(), 0);
    rootAttributes(file, scan);
}

} // namespace ws
