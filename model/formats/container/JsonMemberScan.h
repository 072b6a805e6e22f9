// Recovers the textual order of a JSON object's members, which QJsonObject
// loses because it sorts its keys.
#pragma once

#include <QByteArray>
#include <QString>
#include <vector>

namespace ws {

/// One member of a JSON object as it appears in the text: its decoded key and
/// the byte range [valueBegin, valueEnd) of its value.
struct JsonMemberSpan {
    QString key;
    qsizetype valueBegin = 0;
    qsizetype valueEnd = 0;
};

/// Lists the members of the JSON object that starts (after optional whitespace)
/// at \a begin of \a text and ends before \a end, in textual order. Meant for
/// text that QJsonDocument already accepted; returns false on anything
/// malformed rather than guessing, and never reads outside [begin, end).
bool scanJsonObjectMembers(const QByteArray& text, qsizetype begin, qsizetype end,
                           std::vector<JsonMemberSpan>* out);

} // namespace ws
