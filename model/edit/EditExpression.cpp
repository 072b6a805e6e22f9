// A small hand-written parser: expressions are short, and names may contain
// '.', '/' and ':' so the operator is found from the right.
#include "EditExpression.h"

#include <limits>

namespace ws {

bool parseNumber(const QString& text, double* out) {
    Scalar v;
    if (!Scalar::parse(text, &v)) return false;
    *out = double(v);
    return true;
}

bool parseEditExpression(const QString& text, EditExpression* out, QString* error) {
    out->text = text;
    out->target.clear();
    const int eq = text.lastIndexOf(QLatin1Char('='));
    if (eq < 0) {
        *error =
            QStringLiteral("malformed expression '%1': no '=', '+=', '-=', '*=' or '/='").arg(text);
        return false;
    }
    Scalar value;
    const QString rhs = text.mid(eq + 1);
    if (!Scalar::parse(rhs, &value)) {
        *error = QStringLiteral("malformed expression '%1': '%2' is not a number")
                     .arg(text, rhs.trimmed());
        return false;
    }
    QString lhs = text.left(eq);
    EditOperation::Kind kind = EditOperation::Kind::Set;
    if (!lhs.isEmpty()) {
        const QChar c = lhs.back();
        if (c == QLatin1Char('+'))
            kind = EditOperation::Kind::Add;
        else if (c == QLatin1Char('-'))
            kind = EditOperation::Kind::Subtract;
        else if (c == QLatin1Char('*'))
            kind = EditOperation::Kind::Multiply;
        else if (c == QLatin1Char('/'))
            kind = EditOperation::Kind::Divide;
        if (kind != EditOperation::Kind::Set) lhs.chop(1);
    }
    out->op = EditOperation{kind, value, Scalar(0.0), 0};
    lhs = lhs.trimmed();
    out->target = lhs;
    out->tensorName = lhs;
    if (lhs.contains(QLatin1Char('[')) && !lhs.endsWith(QLatin1Char(']'))) {
        *error = QStringLiteral("malformed expression '%1': unclosed '['").arg(text);
        return false;
    }
    out->indexed = false;
    out->index.clear();
    if (lhs.endsWith(QLatin1Char(']'))) {
        const int open = lhs.lastIndexOf(QLatin1Char('['));
        if (open <= 0) {
            *error = QStringLiteral("malformed expression '%1': unbalanced ']'").arg(text);
            return false;
        }
        QString problem;
        if (!parseIndexList(lhs.mid(open + 1, lhs.size() - open - 2), &out->index, &problem)) {
            *error = QStringLiteral("malformed expression '%1': %2").arg(text, problem);
            return false;
        }
        out->indexed = true;
        lhs = lhs.left(open).trimmed();
    }
    if (lhs.isEmpty()) {
        *error = QStringLiteral("malformed expression '%1': no tensor name").arg(text);
        return false;
    }
    out->tensorName = lhs;
    return true;
}

} // namespace ws
