// Per-value arithmetic of the edit operations, and their undo-history text.
#include "EditOperation.h"

#include <algorithm>
#include <cmath>

namespace ws {

double EditOperation::apply(double v) const {
    switch (kind) {
    case Kind::Set:
        return a;
    case Kind::Add:
        return v + a;
    case Kind::Subtract:
        return v - a;
    case Kind::Multiply:
        return v * a;
    case Kind::Divide:
        return v / a;
    case Kind::Clamp:
        if (std::isnan(v)) return v;
        return std::min(std::max(v, a), b);
    case Kind::Uniform:
    case Kind::Restore:
        break;
    }
    return v;
}

QString EditOperation::describe() const {
    auto num = [](double x) { return QString::number(x, 'g', 8); };
    switch (kind) {
    case Kind::Set:
        return a == 0 ? QStringLiteral("set to zero") : QStringLiteral("= ") + num(a);
    case Kind::Add:
        return QStringLiteral("+= ") + num(a);
    case Kind::Subtract:
        return QStringLiteral("-= ") + num(a);
    case Kind::Multiply:
        return QStringLiteral("*= ") + num(a);
    case Kind::Divide:
        return QStringLiteral("/= ") + num(a);
    case Kind::Clamp:
        return QStringLiteral("clamp to [%1, %2]").arg(num(a), num(b));
    case Kind::Uniform:
        return QStringLiteral("re-initialise U(-%1, %1)").arg(num(a));
    case Kind::Restore:
        return QStringLiteral("restore original");
    }
    return QString();
}

} // namespace ws
