// The header of a GGUF file (QUANT.md section 1): key-value metadata and tensor
// infos, parsed with every count, length, dimension and offset checked against
// what remains of the file before anything is allocated (as ggml's gguf.cpp does).
#pragma once

#include <QIODevice>
#include <QString>
#include <QVariant>
#include <cstdint>
#include <vector>

namespace ws {

/// GGUF metadata value types.
enum class GgufType : uint32_t {
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
};

/// "UINT32", "STRING", ... as gguf-py and the spec name them.
QString ggufTypeName(GgufType t);

/// One key-value pair. Arrays keep their length and only their first elements.
struct GgufKV {
    QString key;
    GgufType type = GgufType::UInt8;
    GgufType elementType = GgufType::UInt8; ///< arrays only
    uint64_t length = 0;                    ///< arrays: element count
    /// The value (one element), or an array's first kGgufKeptElements elements:
    /// qulonglong, qlonglong, double, bool or QString.
    std::vector<QVariant> values;
};

/// Elements of each metadata array kept for display.
constexpr int kGgufKeptElements = 16;

/// One tensor info.
struct GgufTensorInfo {
    QString name;
    std::vector<int64_t> ne; ///< ggml order: ne[0] varies fastest
    uint32_t type = 0;
    uint64_t offset = 0; ///< from the start of the data section
    int64_t bytes = 0;   ///< its data's size (inferred for an unknown type)
    QString problem;     ///< why it cannot be read (unknown type); empty otherwise
};

/// A parsed GGUF header.
struct GgufHeader {
    uint32_t version = 0;
    std::vector<GgufKV> kv;
    std::vector<GgufTensorInfo> tensors;
    uint32_t alignment = 32;
    int64_t dataOffset = 0; ///< absolute offset of the data section
    int64_t fileSize = 0;

    /// The pair named \a key, or null.
    const GgufKV* find(const QString& key) const;
};

/// Parses the GGUF header of \a in (\a size bytes long, read from its start) and
/// checks the tensors' data ranges (aligned, inside the file, not overlapping).
/// False with \a problem naming the field that lied and how.
bool parseGgufHeader(QIODevice* in, int64_t size, GgufHeader* out, QString* problem);

} // namespace ws
