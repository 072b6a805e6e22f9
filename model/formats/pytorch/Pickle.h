// A non-executing reader for Python pickles (protocols 0-5). No C++ pickle
// library exists for this, so this is our own: it runs the pickle opcodes on a
// value stack but never calls anything. GLOBALs are only names; REDUCE/NEWOBJ on
// them build inert objects that remember the callable's qualified name, its
// arguments and any BUILD state. A handful of harmless built-ins
// (collections.OrderedDict, set, _codecs.encode, ...) become plain values.
#pragma once

#include <QByteArray>
#include <QString>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ws {

/// One value of an unpickled object tree. Values live in their PickleDocument's
/// arena and point at each other with raw pointers, so memo references, sharing
/// and even cycles are harmless.
struct PickleValue {
    enum class Kind {
        None,
        Bool,
        Int,
        BigInt, ///< an integer that does not fit in 64 bits (value not kept)
        Float,
        String,
        Bytes,
        Tuple,
        List,
        Dict,
        Set,
        Global,       ///< a name: text = module, name = attribute
        Object,       ///< cls called with args (REDUCE/NEWOBJ), plus BUILD state
        PersistentId, ///< BINPERSID: args = the id
    };
    Kind kind = Kind::None;
    bool boolValue = false;
    int64_t intValue = 0;
    double floatValue = 0;
    QByteArray text;                 ///< String (UTF-8), Bytes, Global module
    QByteArray name;                 ///< Global attribute name
    std::vector<PickleValue*> items; ///< Tuple, List, Set; Object APPENDs
    std::vector<std::pair<PickleValue*, PickleValue*>> entries; ///< Dict; Object SETITEMs
    PickleValue* cls = nullptr;                                 ///< Object: the Global called
    PickleValue* args = nullptr;  ///< Object: argument tuple; PersistentId: the id
    PickleValue* state = nullptr; ///< Object: BUILD state
    /// Dict: key -> index into entries, for string and int keys (built on demand).
    std::unique_ptr<std::unordered_map<std::string, size_t>> index;

    bool isString() const { return kind == Kind::String; }
    bool isInt() const { return kind == Kind::Int || kind == Kind::Bool; }
    bool isSequence() const { return kind == Kind::Tuple || kind == Kind::List; }
    /// "module.name" for a Global, the class's for an Object, else empty.
    QString qualifiedName() const;
    /// Dict or Object-items lookup by string key; null when absent.
    const PickleValue* get(const char* key) const;
};

/// Owns the values of one or more parsed pickles.
class PickleDocument {
public:
    /// Upper bound on values per document (guards hostile pickles).
    static constexpr size_t kMaxValues = 5'000'000;
    /// Upper bound on the value stack and on nested MARKs.
    static constexpr size_t kMaxStack = 5'000'000;
    static constexpr size_t kMaxMarks = 1000;

    PickleDocument() = default;
    PickleDocument(const PickleDocument&) = delete;
    PickleDocument& operator=(const PickleDocument&) = delete;

    /// Parses the pickle starting at \a start of \a data (size \a size). On success
    /// returns the object and sets \a end to the byte after STOP. On failure returns
    /// null, sets \a error to "at byte N: problem" and \a truncated when the input
    /// simply ended too early.
    PickleValue* parse(const char* data, qint64 size, qint64 start, qint64* end, QString* error,
                       bool* truncated = nullptr);

    /// A new value owned by this document, or null when kMaxValues is reached.
    PickleValue* make(PickleValue::Kind kind);
    /// Drops every value (pointers into the document become invalid).
    void clear() { m_values.clear(); }
    size_t valueCount() const { return m_values.size(); }
    /// Every value made so far, in creation order.
    const std::deque<PickleValue>& values() const { return m_values; }

private:
    std::deque<PickleValue> m_values;
};

/// Keys of dict entries as text: strings as-is, integers in decimal, others repr-like.
QString pickleKeyText(const PickleValue* key);

} // namespace ws
