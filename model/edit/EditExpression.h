// Parses PyTorch-style edit expressions for the command line:
// 'fc.weight[0:5, :] = 0.1', '2.bias += 0.5', 'fc.weight[3, -1] *= 0.9'.
#pragma once

#include "EditOperation.h"
#include "Region.h"
#include "TensorIndex.h"
#include "WeightFile.h"

#include <QString>

namespace ws {

/// A parsed expression, not yet resolved against a file.
struct EditExpression {
    QString tensorName;
    bool indexed = false;
    std::vector<IndexItem> index;
    EditOperation op;
    QString text; ///< the expression as given
    /// Everything left of the operator, trimmed: a whole tensor name when the file has
    /// a tensor named so exactly ("state[3].exp_avg", "['a.b']"), which wins over
    /// reading a trailing "[...]" as an index. Set once the operator and value parsed.
    QString target;
};

/// Parses \a text; false with \a error ("malformed expression ...") on failure. A
/// trailing "[...]" is read as an index; when that (or an unbalanced bracket) fails,
/// \a out->target is still set, for names that contain brackets (resolveEditExpression
/// tries it as an exact name first).
bool parseEditExpression(const QString& text, EditExpression* out, QString* error);
/// Parses a number the way the user typed it, independent of the locale:
/// "0.1", "-1e-3", "nan", "inf", "-inf", "True", "False".
bool parseNumber(const QString& text, double* out);

} // namespace ws
