// HDF5 access shared by the helper's walk, reads and writes: handle closing,
// error-stack messages, datatype mapping, string attributes, and the order in
// which a group's members are listed.
#include "Hdf5Library.h"
#include "RangeDriver.h"

#include <algorithm>

namespace ws::hdf5 {

Handle& Handle::operator=(Handle&& o) noexcept {
    if (this != &o) {
        reset(o.m_id);
        o.m_id = -1;
    }
    return *this;
}

void Handle::reset(hid_t id) {
    if (m_id >= 0) {
        switch (H5Iget_type(m_id)) {
        case H5I_FILE:
            H5Fclose(m_id);
            break;
        case H5I_GROUP:
            H5Gclose(m_id);
            break;
        case H5I_DATASET:
            H5Dclose(m_id);
            break;
        case H5I_DATATYPE:
            H5Tclose(m_id);
            break;
        case H5I_DATASPACE:
            H5Sclose(m_id);
            break;
        case H5I_ATTR:
            H5Aclose(m_id);
            break;
        case H5I_GENPROP_LST:
            H5Pclose(m_id);
            break;
        default:
            break;
        }
    }
    m_id = id;
}

namespace {

bool g_outOfMemory = false;

herr_t collectError(unsigned, const H5E_error2_t* e, void* data) {
    auto* list = static_cast<QStringList*>(data);
    if (e && e->maj_num == H5E_RESOURCE &&
        (e->min_num == H5E_NOSPACE || e->min_num == H5E_CANTALLOC))
        g_outOfMemory = true;
    if (e && e->desc && *e->desc) list->append(QString::fromUtf8(e->desc));
    return 0;
}

} // namespace

bool outOfMemory() {
    return g_outOfMemory;
}

QString takeError() {
    QStringList messages;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collectError, &messages);
    H5Eclear2(H5E_DEFAULT);
    if (messages.isEmpty()) return QStringLiteral("HDF5 error");
    if (messages.size() == 1 || messages.first() == messages.last()) return messages.first();
    return messages.first() + QStringLiteral(" (") + messages.last() + QLatin1Char(')');
}

Handle openFile(const QString& path, bool writable, QString* error, qint64 rangeOffset,
                qint64 rangeSize) {
    Handle fapl(rangeSize >= 0 ? rangeFileAccess(rangeOffset, rangeSize)
                               : H5Pcreate(H5P_FILE_ACCESS));
    // Closing the file closes everything still open in it, so a save is complete.
    H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG);
    Handle file(H5Fopen(path.toLocal8Bit().constData(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY,
                        fapl.id()));
    if (!file.valid()) *error = QStringLiteral("not a readable HDF5 file: %1").arg(takeError());
    return file;
}

namespace {

Handle copyOf(hid_t type) {
    return Handle(H5Tcopy(type));
}

// A 16-bit little-endian float with the given exponent and mantissa widths.
Handle halfType(size_t esize, size_t msize, size_t bias) {
    Handle t = copyOf(H5T_IEEE_F32LE);
    H5Tset_fields(t.id(), 15, msize, esize, 0, msize);
    H5Tset_size(t.id(), 2);
    H5Tset_ebias(t.id(), bias);
    return t;
}

Handle boolType() {
    Handle t(H5Tenum_create(H5T_NATIVE_SCHAR));
    signed char v = 0;
    H5Tenum_insert(t.id(), "FALSE", &v);
    v = 1;
    H5Tenum_insert(t.id(), "TRUE", &v);
    return t;
}

bool isBoolEnum(hid_t type) {
    if (H5Tget_size(type) != 1 || H5Tget_nmembers(type) != 2) return false;
    Handle base(H5Tget_super(type));
    if (!base.valid() || H5Tget_class(base.id()) != H5T_INTEGER) return false;
    for (unsigned i = 0; i < 2; ++i) {
        char* name = H5Tget_member_name(type, i);
        if (!name) return false;
        const QByteArray n(name);
        H5free_memory(name);
        signed char value = -1;
        if (H5Tget_member_value(type, i, &value) < 0) return false;
        if (!((n == "FALSE" && value == 0) || (n == "TRUE" && value == 1))) return false;
    }
    return true;
}

} // namespace

Handle memoryType(DType t) {
    switch (t) {
    case DType::Float32:
        return copyOf(H5T_IEEE_F32LE);
    case DType::Float64:
        return copyOf(H5T_IEEE_F64LE);
    case DType::Float16:
        return halfType(5, 10, 15);
    case DType::BFloat16:
        return halfType(8, 7, 127);
    case DType::Int8:
        return copyOf(H5T_STD_I8LE);
    case DType::UInt8:
        return copyOf(H5T_STD_U8LE);
    case DType::Int16:
        return copyOf(H5T_STD_I16LE);
    case DType::UInt16:
        return copyOf(H5T_STD_U16LE);
    case DType::Int32:
        return copyOf(H5T_STD_I32LE);
    case DType::UInt32:
        return copyOf(H5T_STD_U32LE);
    case DType::Int64:
        return copyOf(H5T_STD_I64LE);
    case DType::UInt64:
        return copyOf(H5T_STD_U64LE);
    case DType::Bool:
        return boolType();
    default:
        return Handle();
    }
}

namespace {

// Keras 3 writes bfloat16 variables as 2-byte opaque data tagged by an attribute.
bool isKerasBFloat16(hid_t type, hid_t object) {
    if (object < 0 || H5Tget_size(type) != 2) return false;
    QStringList value;
    return readStringAttribute(object, "dtype", &value) && value == QStringList{"bfloat16"};
}

} // namespace

std::optional<ElementType> elementType(hid_t type, QString* reason, hid_t object) {
    const size_t size = H5Tget_size(type);
    std::optional<DType> dtype;
    switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
        const bool sign = H5Tget_sign(type) == H5T_SGN_2;
        if (size == 1) dtype = sign ? DType::Int8 : DType::UInt8;
        if (size == 2) dtype = sign ? DType::Int16 : DType::UInt16;
        if (size == 4) dtype = sign ? DType::Int32 : DType::UInt32;
        if (size == 8) dtype = sign ? DType::Int64 : DType::UInt64;
        if (!dtype) *reason = QStringLiteral("unsupported %1-byte integer").arg(size);
        break;
    }
    case H5T_FLOAT: {
        size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
        H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize);
        if (size == 2 && spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10)
            dtype = DType::Float16;
        else if (size == 2 && spos == 15 && epos == 7 && esize == 8 && mpos == 0 && msize == 7)
            dtype = DType::BFloat16;
        else if (size <= 4)
            dtype = DType::Float32; // HDF5 converts other small float layouts
        else
            dtype = DType::Float64;
        break;
    }
    case H5T_ENUM:
        if (isBoolEnum(type))
            dtype = DType::Bool;
        else
            *reason = QStringLiteral("enumeration");
        break;
    case H5T_STRING:
        *reason = QStringLiteral("strings");
        break;
    case H5T_COMPOUND:
        *reason = QStringLiteral("compound type");
        break;
    case H5T_REFERENCE:
        *reason = QStringLiteral("object references");
        break;
    case H5T_OPAQUE:
        if (isKerasBFloat16(type, object)) {
            ElementType e;
            e.dtype = DType::BFloat16;
            e.memType = copyOf(type); // the bits as they are, no conversion
            return e;
        }
        *reason = QStringLiteral("opaque data");
        break;
    case H5T_VLEN:
        *reason = QStringLiteral("variable-length sequences");
        break;
    case H5T_ARRAY:
        *reason = QStringLiteral("array type");
        break;
    case H5T_BITFIELD:
        *reason = QStringLiteral("bit field");
        break;
    default:
        *reason = QStringLiteral("unsupported datatype");
        break;
    }
    if (!dtype) return std::nullopt;
    ElementType e;
    e.dtype = *dtype;
    e.memType = memoryType(*dtype);
    if (!e.memType.valid()) {
        *reason = QStringLiteral("no memory type for %1").arg(dtypeName(*dtype));
        return std::nullopt;
    }
    return e;
}

bool dimensions(hid_t space, std::vector<int64_t>* dims, QString* reason) {
    dims->clear();
    switch (H5Sget_simple_extent_type(space)) {
    case H5S_SCALAR:
        return true;
    case H5S_NULL:
        *reason = QStringLiteral("empty (null dataspace)");
        return false;
    case H5S_SIMPLE:
        break;
    default:
        *reason = QStringLiteral("unreadable dataspace");
        return false;
    }
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0 || rank > H5S_MAX_RANK) {
        *reason = QStringLiteral("unreadable dataspace");
        return false;
    }
    hsize_t d[H5S_MAX_RANK] = {};
    if (H5Sget_simple_extent_dims(space, d, nullptr) < 0) {
        *reason = QStringLiteral("unreadable dataspace");
        return false;
    }
    for (int i = 0; i < rank; ++i) {
        if (d[i] > hsize_t(int64_t(1) << 40)) {
            *reason = QStringLiteral("absurd dimension %1").arg(qulonglong(d[i]));
            return false;
        }
        dims->push_back(int64_t(d[i]));
    }
    return true;
}

bool readStringAttribute(hid_t obj, const char* name, QStringList* out) {
    out->clear();
    if (H5Aexists(obj, name) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
    }
    Handle attr(H5Aopen(obj, name, H5P_DEFAULT));
    Handle type(H5Aget_type(attr.id()));
    Handle space(H5Aget_space(attr.id()));
    if (!attr.valid() || !type.valid() || !space.valid()) return false;
    const hssize_t points = H5Sget_simple_extent_npoints(space.id());
    if (points < 0 || points > 10000000 || H5Sget_simple_extent_ndims(space.id()) > 1) return false;
    if (H5Tget_class(type.id()) != H5T_STRING) return points == 0; // Keras' empty np.asarray([])
    if (points == 0) return true;
    const size_t n = size_t(points);
    if (H5Tis_variable_str(type.id()) > 0) {
        Handle mem = copyOf(H5T_C_S1);
        H5Tset_size(mem.id(), H5T_VARIABLE);
        H5Tset_cset(mem.id(), H5Tget_cset(type.id()));
        std::vector<char*> buf(n, nullptr);
        if (H5Aread(attr.id(), mem.id(), buf.data()) < 0) return false;
        for (char* s : buf)
            out->append(s ? QString::fromUtf8(s) : QString());
        H5Dvlen_reclaim(mem.id(), space.id(), H5P_DEFAULT, buf.data());
        return true;
    }
    const size_t size = H5Tget_size(type.id());
    if (size == 0 || size > (size_t(64) << 20) / n) return false;
    Handle mem = copyOf(H5T_C_S1);
    H5Tset_size(mem.id(), size);
    H5Tset_strpad(mem.id(), H5T_STR_NULLPAD);
    std::vector<char> buf(n * size, '\0');
    if (H5Aread(attr.id(), mem.id(), buf.data()) < 0) return false;
    for (size_t i = 0; i < n; ++i) {
        const char* s = buf.data() + i * size;
        out->append(QString::fromUtf8(s, int(qstrnlen(s, uint(size)))));
    }
    return true;
}

bool readSplitStringAttribute(hid_t obj, const QString& name, QStringList* out) {
    if (readStringAttribute(obj, name.toUtf8().constData(), out)) return true;
    bool any = false;
    for (int i = 0; i < 100000; ++i) {
        QStringList part;
        if (!readStringAttribute(obj, (name + QString::number(i)).toUtf8().constData(), &part))
            break;
        *out += part;
        any = true;
    }
    return any;
}

namespace {

// Natural order: digit runs compare as numbers ("dense_2" < "dense_10").
bool naturalLess(const QString& a, const QString& b) {
    int i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i].isDigit() && b[j].isDigit()) {
            int ie = i, je = j;
            while (ie < a.size() && a[ie].isDigit())
                ++ie;
            while (je < b.size() && b[je].isDigit())
                ++je;
            QStringView da = QStringView(a).mid(i, ie - i), db = QStringView(b).mid(j, je - j);
            while (da.size() > 1 && da[0] == QLatin1Char('0'))
                da = da.mid(1);
            while (db.size() > 1 && db[0] == QLatin1Char('0'))
                db = db.mid(1);
            if (da.size() != db.size()) return da.size() < db.size();
            const int c = da.compare(db);
            if (c != 0) return c < 0;
            i = ie;
            j = je;
        } else {
            if (a[i] != b[j]) return a[i] < b[j];
            ++i;
            ++j;
        }
    }
    if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
    return a < b;
}

} // namespace

namespace {

bool listNames(hid_t group, H5_index_t index, hsize_t n, QStringList* names) {
    names->clear();
    for (hsize_t i = 0; i < n; ++i) {
        ssize_t len =
            H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (len < 0 || len > 65535) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
        QByteArray name(int(len) + 1, '\0');
        if (H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, name.data(), size_t(len) + 1,
                               H5P_DEFAULT) < 0) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
        name.truncate(int(len));
        names->append(QString::fromUtf8(name));
    }
    return true;
}

} // namespace

QStringList memberNames(hid_t group, int limit) {
    QStringList names;
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) {
        H5Eclear2(H5E_DEFAULT);
        return names;
    }
    unsigned flags = 0;
    Handle gcpl(H5Gget_create_plist(group));
    if (gcpl.valid()) H5Pget_link_creation_order(gcpl.id(), &flags);
    H5Eclear2(H5E_DEFAULT);
    const hsize_t n = std::min<hsize_t>(info.nlinks, hsize_t(std::max(limit, 0)));
    if ((flags & H5P_CRT_ORDER_INDEXED) && listNames(group, H5_INDEX_CRT_ORDER, n, &names))
        return names;
    listNames(group, H5_INDEX_NAME, n, &names); // keeps what it could read
    std::stable_sort(names.begin(), names.end(), naturalLess);
    return names;
}

} // namespace ws::hdf5
