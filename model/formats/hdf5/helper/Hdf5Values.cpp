// Dataset values in and out of the helper: reads stream a dataset to stdout in
// slabs of whole rows (aligned to the chunk rows, so each chunk is decoded once);
// writes take framed records from stdin and write them slab by slab as well.
#include "Hdf5Values.h"
#include "Hdf5Walk.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cerrno>
#include <unistd.h>

namespace ws {

using hdf5::Handle;

namespace {

bool writeFd(int fd, const char* data, qint64 size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size_t(std::min<qint64>(size, qint64(1) << 30)));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= n;
    }
    return true;
}

// Buffered reading of records from a file descriptor.
class FdReader {
public:
    explicit FdReader(int fd) : m_fd(fd) {}
    /// The next line without its '\n'; false at the end or for a line over \a limit.
    bool line(QByteArray* out, int limit) {
        out->clear();
        for (;;) {
            if (m_pos == m_end && !fill()) return false;
            const char* start = m_buffer.constData() + m_pos;
            const char* nl = static_cast<const char*>(memchr(start, '\n', size_t(m_end - m_pos)));
            const qint64 n = nl ? nl - start : m_end - m_pos;
            out->append(start, qsizetype(n));
            m_pos += n + (nl ? 1 : 0);
            if (out->size() > limit) return false;
            if (nl) return true;
        }
    }
    /// Exactly \a size bytes into \a dst.
    bool exact(char* dst, qint64 size) {
        while (size > 0) {
            if (m_pos == m_end && !fill()) return false;
            const qint64 n = std::min(size, m_end - m_pos);
            memcpy(dst, m_buffer.constData() + m_pos, size_t(n));
            m_pos += n;
            dst += n;
            size -= n;
        }
        return true;
    }

private:
    bool fill() {
        if (m_buffer.isEmpty()) m_buffer.resize(1 << 20);
        for (;;) {
            const ssize_t n = ::read(m_fd, m_buffer.data(), size_t(m_buffer.size()));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            m_pos = 0;
            m_end = n;
            return true;
        }
    }
    int m_fd;
    QByteArray m_buffer;
    qint64 m_pos = 0, m_end = 0;
};

// How many rows of \a dims go into one slab: enough for kHdf5SlabBytes, a whole
// number of chunk rows for chunked datasets.
hsize_t rowsPerSlab(hid_t dataset, const std::vector<int64_t>& dims, qint64 rowBytes) {
    hsize_t rows = hsize_t(std::max<qint64>(1, kHdf5SlabBytes / std::max<qint64>(rowBytes, 1)));
    Handle dcpl(H5Dget_create_plist(dataset));
    hsize_t chunk[H5S_MAX_RANK] = {};
    if (dcpl.valid() && H5Pget_layout(dcpl.id()) == H5D_CHUNKED &&
        H5Pget_chunk(dcpl.id(), H5S_MAX_RANK, chunk) == int(dims.size()) && chunk[0] > 0)
        rows = std::max<hsize_t>(chunk[0], rows / chunk[0] * chunk[0]);
    return rows;
}

// Calls \a each for every slab of the dataset: the whole of it at once when it is
// small or 0-D, else runs of rows.
template <typename Fn>
bool forEachSlab(hid_t dataset, const std::vector<int64_t>& dims, int elementSize, Fn each) {
    int64_t n = 1;
    for (int64_t d : dims)
        n *= d;
    const qint64 total = qint64(n) * elementSize;
    if (dims.empty() || total <= kHdf5SlabBytes) return each(H5S_ALL, H5S_ALL, total);
    const qint64 rowBytes = total / std::max<int64_t>(dims[0], 1);
    const hsize_t step = rowsPerSlab(dataset, dims, rowBytes);
    std::vector<hsize_t> start(dims.size(), 0), count(dims.begin(), dims.end());
    for (hsize_t first = 0; first < hsize_t(dims[0]); first += step) {
        start[0] = first;
        count[0] = std::min<hsize_t>(step, hsize_t(dims[0]) - first);
        Handle fileSpace(H5Dget_space(dataset));
        Handle memSpace(H5Screate_simple(int(count.size()), count.data(), nullptr));
        if (!fileSpace.valid() || !memSpace.valid() ||
            H5Sselect_hyperslab(fileSpace.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                                nullptr) < 0)
            return false;
        if (!each(memSpace.id(), fileSpace.id(), qint64(count[0]) * rowBytes)) return false;
    }
    return true;
}

} // namespace

bool streamDatasetValues(hid_t file, qint64 fileSize, const Hdf5Expected& want, int fd,
                         QString* error) {
    Handle dataset(H5Dopen2(file, want.path.toUtf8().constData(), H5P_DEFAULT));
    if (!dataset.valid()) {
        *error = QStringLiteral("cannot open dataset %1: %2").arg(want.path, hdf5::takeError());
        return false;
    }
    hdf5::ElementType et;
    std::vector<int64_t> dims;
    QString reason;
    if (!inspectDataset(dataset.id(), fileSize, &et, &dims, &reason)) {
        *error = QStringLiteral("dataset %1: %2").arg(want.path, reason);
        return false;
    }
    if (et.dtype != want.dtype || dims != want.shape) {
        *error = QStringLiteral("dataset %1 changed in the file").arg(want.path);
        return false;
    }
    QByteArray buffer;
    bool written = true;
    const bool ok = forEachSlab(
        dataset.id(), dims, dtypeSize(et.dtype), [&](hid_t mem, hid_t space, qint64 bytes) {
            if (bytes == 0) return true;
            buffer.resize(qsizetype(bytes));
            if (H5Dread(dataset.id(), et.memType.id(), mem, space, H5P_DEFAULT, buffer.data()) < 0)
                return false;
            written = writeFd(fd, buffer.constData(), bytes);
            return written;
        });
    if (!ok) {
        *error =
            written ? QStringLiteral("cannot read dataset %1: %2").arg(want.path, hdf5::takeError())
                    : QStringLiteral("cannot send the values of dataset %1").arg(want.path);
        return false;
    }
    return true;
}

namespace {

bool parseRecord(const QByteArray& line, Hdf5Expected* r, qint64* bytes, QString* error) {
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    r->path = o.value(QLatin1String("path")).toString();
    const auto dtype = dtypeFromName(o.value(QLatin1String("dtype")).toString());
    *bytes = o.value(QLatin1String("bytes")).toInteger(-1);
    r->shape.clear();
    int64_t n = 1;
    for (const QJsonValue& d : o.value(QLatin1String("shape")).toArray()) {
        const qint64 v = d.toInteger(-1);
        if (v < 0 || (v != 0 && n > kHdf5MaxElements / v)) n = -1;
        if (n >= 0) n *= v;
        r->shape.push_back(v);
    }
    if (r->path.isEmpty() || !dtype || n < 0 || *bytes != qint64(n) * dtypeSize(*dtype)) {
        *error = QStringLiteral("malformed record header from the application");
        return false;
    }
    r->dtype = *dtype;
    return true;
}

// Opens the dataset a record goes to, or creates it.
Handle targetDataset(hid_t file, bool create, const Hdf5Expected& r, Handle* memType,
                     QString* error) {
    const QByteArray name = r.path.toUtf8();
    if (create) {
        *memType = hdf5::memoryType(r.dtype);
        if (!memType->valid()) {
            *error = QStringLiteral("tensor %1 of type %2 cannot be stored in HDF5")
                         .arg(r.path, dtypeName(r.dtype));
            return Handle();
        }
        std::vector<hsize_t> dims(r.shape.begin(), r.shape.end());
        Handle space(r.shape.empty() ? H5Screate(H5S_SCALAR)
                                     : H5Screate_simple(int(dims.size()), dims.data(), nullptr));
        Handle lcpl(H5Pcreate(H5P_LINK_CREATE));
        H5Pset_create_intermediate_group(lcpl.id(), 1);
        H5Pset_char_encoding(lcpl.id(), H5T_CSET_UTF8);
        Handle dataset(H5Dcreate2(file, name.constData(), memType->id(), space.id(), lcpl.id(),
                                  H5P_DEFAULT, H5P_DEFAULT));
        if (!dataset.valid())
            *error = QStringLiteral("cannot write tensor %1 as a dataset: %2")
                         .arg(r.path, hdf5::takeError());
        return dataset;
    }
    Handle dataset(H5Dopen2(file, name.constData(), H5P_DEFAULT));
    Handle type(dataset.valid() ? H5Dget_type(dataset.id()) : -1);
    Handle space(dataset.valid() ? H5Dget_space(dataset.id()) : -1);
    if (!dataset.valid() || !type.valid() || !space.valid()) {
        *error = QStringLiteral("cannot open dataset %1: %2").arg(r.path, hdf5::takeError());
        return Handle();
    }
    QString reason;
    auto et = hdf5::elementType(type.id(), &reason, dataset.id());
    std::vector<int64_t> dims;
    if (!et || et->dtype != r.dtype || !hdf5::dimensions(space.id(), &dims, &reason) ||
        dims != r.shape) {
        *error = QStringLiteral("dataset %1 no longer matches its tensor").arg(r.path);
        return Handle();
    }
    *memType = std::move(et->memType);
    return dataset;
}

} // namespace

bool writeDatasetRecords(hid_t file, bool create, int fd, QString* error) {
    FdReader in(fd);
    QByteArray line, buffer;
    for (;;) {
        if (!in.line(&line, 1 << 20)) {
            *error = QStringLiteral("the application's records ended early");
            return false;
        }
        if (line.isEmpty()) return true;
        Hdf5Expected r;
        qint64 bytes = 0;
        if (!parseRecord(line, &r, &bytes, error)) return false;
        Handle memType;
        Handle dataset = targetDataset(file, create, r, &memType, error);
        if (!dataset.valid()) return false;
        bool received = true;
        const bool ok = forEachSlab(
            dataset.id(), r.shape, dtypeSize(r.dtype), [&](hid_t mem, hid_t space, qint64 n) {
                if (n == 0) return true;
                buffer.resize(qsizetype(n));
                received = in.exact(buffer.data(), n);
                return received && H5Dwrite(dataset.id(), memType.id(), mem, space, H5P_DEFAULT,
                                            buffer.constData()) >= 0;
            });
        if (!ok) {
            *error =
                received
                    ? QStringLiteral("cannot write dataset %1: %2").arg(r.path, hdf5::takeError())
                    : QStringLiteral("the values of dataset %1 ended early").arg(r.path);
            return false;
        }
    }
}

} // namespace ws
