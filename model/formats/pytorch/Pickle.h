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
    /// Memoized or duplicated: something besides its container may point at it.
    bool pinned = false;
    /// A scalar of a long list whose value was not kept (see PickleDocument).
    bool elided = false;
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
///
/// Memory follows what the pickle holds, never what it claims: values live in an
/// arena, at most kMaxValues plus one for every kBytesPerExtraValue bytes of the
/// largest pickle parsed. Scalars (None, bools, ints, floats) appended to a list
/// that already holds kKeepListScalars items, and referenced by nothing else, are
/// not kept: the list points at a shared elided value of the same kind instead and
/// the scalar's slot is reused. Long lists of step counts or losses beside the
/// tensors therefore cost 8 bytes per item, and their length and the positions of
/// tensors among them stay exact.
class PickleDocument {
public:
    /// Live values of a document, at least (guards hostile pickles).
    static constexpr size_t kMaxValues = 5'000'000;
    /// One more live value allowed per this many bytes of pickle.
    static constexpr size_t kBytesPerExtraValue = 32;
    /// Items of a list whose scalars keep their values.
    static constexpr size_t kKeepListScalars = 4096;
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

    /// A new value owned by this document, or null when the limit is reached.
    PickleValue* make(PickleValue::Kind kind);
    /// Gives the slot of \a v, a scalar nothing points at any more, back for reuse.
    void release(PickleValue* v);
    /// The shared stand-in for elided scalars of \a kind.
    PickleValue* elided(PickleValue::Kind kind);
    /// Drops every value (pointers into the document become invalid).
    void clear();
    /// Values made so far, reused slots counted each time (bounds walks over the graph).
    size_t valueCount() const { return m_made; }
    /// Live values the document may hold.
    size_t limit() const { return m_limit; }
    /// Every value slot, in creation order (released slots hold a None or a reused value).
    const std::deque<PickleValue>& values() const { return m_values; }

private:
    std::deque<PickleValue> m_values;
    std::vector<PickleValue*> m_free;
    std::vector<PickleValue*> m_elided;
    size_t m_made = 0;
    size_t m_limit = kMaxValues;
};

/// Keys of dict entries as text: strings as-is, integers in decimal, others repr-like.
QString pickleKeyText(const PickleValue* key);

} // namespace ws
