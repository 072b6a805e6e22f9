// A minimal scanner over already-validated JSON: walks one object's members,
// skipping nested values, to report keys in the order the text gives them.
#include "JsonMemberScan.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace ws {

namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct Cursor {
    const char* s;
    qsizetype pos;
    qsizetype end;

    bool atEnd() const { return pos >= end; }
    char peek() const { return s[pos]; }
    void skipSpace() {
        while (pos < end && isSpace(s[pos]))
            ++pos;
    }
    /// At an opening quote: moves past the closing quote.
    bool skipString() {
        ++pos;
        while (pos < end) {
            char c = s[pos++];
            if (c == '\\') {
                if (pos >= end) return false;
                ++pos;
            } else if (c == '"') {
                return true;
            }
        }
        return false;
    }
    /// Moves past one value of any kind.
    bool skipValue() {
        if (atEnd()) return false;
        char c = peek();
        if (c == '"') return skipString();
        if (c == '{' || c == '[') {
            int depth = 0;
            while (pos < end) {
                c = s[pos];
                if (c == '"') {
                    if (!skipString()) return false;
                    continue;
                }
                ++pos;
                if (c == '{' || c == '[') {
                    ++depth;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) return true;
                }
            }
            return false;
        }
        const qsizetype start = pos;
        while (pos < end && !isSpace(s[pos]) && s[pos] != ',' && s[pos] != '}' && s[pos] != ']')
            ++pos;
        return pos > start;
    }
};

bool decodeKey(const char* s, qsizetype begin, qsizetype endQuote, QString* key) {
    const QByteArray token(s + begin, endQuote - begin + 1); // with both quotes
    if (!token.contains('\\')) {
        *key = QString::fromUtf8(token.constData() + 1, token.size() - 2);
        return true;
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson('[' + token + ']', &err);
    if (err.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1 ||
        !doc.array().at(0).isString())
        return false;
    *key = doc.array().at(0).toString();
    return true;
}

} // namespace

bool scanJsonObjectMembers(const QByteArray& text, qsizetype begin, qsizetype end,
                           std::vector<JsonMemberSpan>* out) {
    out->clear();
    if (begin < 0 || end > text.size() || begin > end) return false;
    Cursor c{text.constData(), begin, end};
    c.skipSpace();
    if (c.atEnd() || c.peek() != '{') return false;
    ++c.pos;
    c.skipSpace();
    if (!c.atEnd() && c.peek() == '}') return true;
    while (true) {
        c.skipSpace();
        if (c.atEnd() || c.peek() != '"') return false;
        const qsizetype keyBegin = c.pos;
        if (!c.skipString()) return false;
        JsonMemberSpan m;
        if (!decodeKey(c.s, keyBegin, c.pos - 1, &m.key)) return false;
        c.skipSpace();
        if (c.atEnd() || c.peek() != ':') return false;
        ++c.pos;
        c.skipSpace();
        m.valueBegin = c.pos;
        if (!c.skipValue()) return false;
        m.valueEnd = c.pos;
        out->push_back(std::move(m));
        c.skipSpace();
        if (c.atEnd()) return false;
        if (c.peek() == '}') return true;
        if (c.peek() != ',') return false;
        ++c.pos;
    }
}

} // namespace ws
