// Per-value arithmetic of the edit operations, the rules PyTorch applies to their
// operands, and their undo-history text.
#include "EditOperation.h"

#include <QLocale>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace ws {

Scalar::Scalar(double v) : re(v) {
    // Integral doubles within int64 are integers, as the literal "3" would be.
    if (std::isfinite(v) && std::trunc(v) == v && std::fabs(v) < 9.2233720368547758e18)
        integer = Int128(int64_t(v));
    else
        isFloat = true;
}

Scalar Scalar::ofInteger(Int128 v) {
    Scalar s;
    s.integer = v;
    s.re = double(v);
    return s;
}

Scalar Scalar::ofComplex(double r, double i) {
    Scalar s;
    s.re = r;
    s.im = i;
    s.isFloat = s.isComplex = true;
    return s;
}

namespace {

bool parseReal(const QString& text, Scalar* out) {
    const QString s = text.trimmed();
    if (s.isEmpty()) return false;
    const QString lower = s.toLower();
    if (lower == QLatin1String("true") || lower == QLatin1String("false")) {
        *out = Scalar::ofInteger(lower == QLatin1String("true") ? 1 : 0);
        return true;
    }
    const double inf = std::numeric_limits<double>::infinity();
    if (lower == QLatin1String("nan") || lower == QLatin1String("+nan") ||
        lower == QLatin1String("-nan")) {
        *out = Scalar(std::numeric_limits<double>::quiet_NaN());
        return true;
    }
    if (lower == QLatin1String("inf") || lower == QLatin1String("+inf") ||
        lower == QLatin1String("infinity")) {
        *out = Scalar(inf);
        return true;
    }
    if (lower == QLatin1String("-inf") || lower == QLatin1String("-infinity")) {
        *out = Scalar(-inf);
        return true;
    }
    // An integer literal: optional sign and digits, exact up to 128 bits.
    int i = 0;
    const bool negative = s[0] == QLatin1Char('-');
    if (s[0] == QLatin1Char('-') || s[0] == QLatin1Char('+')) i = 1;
    bool digits = i < s.size();
    for (int k = i; k < s.size() && digits; ++k)
        digits = s[k].isDigit() && s[k].unicode() < 128;
    if (digits && s.size() - i <= 38) {
        Int128 v = 0;
        for (int k = i; k < s.size(); ++k)
            v = v * 10 + (s[k].unicode() - u'0');
        *out = Scalar::ofInteger(negative ? -v : v);
        return true;
    }
    bool ok = false;
    const double v = QLocale::c().toDouble(s, &ok);
    if (!ok) return false;
    Scalar f(v);
    f.isFloat = true; // written as a float, even "2.0"
    f.integer = 0;
    *out = f;
    return true;
}

} // namespace

bool Scalar::parse(const QString& text, Scalar* out) {
    QString s = text.trimmed();
    if (s.endsWith(QLatin1Char('j')) || s.endsWith(QLatin1Char('J'))) {
        s.chop(1);
        s = s.trimmed();
        if (s.startsWith(QLatin1Char('(')) && s.endsWith(QLatin1Char(')')))
            s = s.mid(1, s.size() - 2);
        // The split between real and imaginary parts: the last sign not at the start
        // and not part of an exponent.
        int split = -1;
        for (int k = s.size() - 1; k > 0; --k) {
            const QChar c = s[k];
            if ((c == QLatin1Char('+') || c == QLatin1Char('-')) &&
                s[k - 1].toLower() != QLatin1Char('e')) {
                split = k;
                break;
            }
        }
        Scalar re, im;
        const QString imText = split < 0 ? s : s.mid(split);
        if (split >= 0 && !parseReal(s.left(split), &re)) return false;
        if (imText == QLatin1String("+") || imText == QLatin1String("-") || imText.isEmpty()) {
            im = Scalar(imText == QLatin1String("-") ? -1.0 : 1.0);
        } else if (!parseReal(imText, &im)) {
            return false;
        }
        *out = ofComplex(split < 0 ? 0.0 : re.re, im.re);
        return true;
    }
    if (s.startsWith(QLatin1Char('(')) && s.endsWith(QLatin1Char(')')))
        return parse(s.mid(1, s.size() - 2), out);
    return parseReal(s, out);
}

namespace {

/// The shortest text that reads back as \a x ("0.1", not "0.10000000000000001").
QString shortest(double x) {
    if (std::isnan(x)) return QStringLiteral("nan");
    if (std::isinf(x)) return x < 0 ? QStringLiteral("-inf") : QStringLiteral("inf");
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    return QString::fromLatin1(buf, int(r.ptr - buf));
}

} // namespace

QString Scalar::text() const {
    auto num = shortest;
    if (isComplex) {
        const QString imag = num(im) + QLatin1Char('j');
        if (re == 0) return imag;
        return QStringLiteral("%1%2%3").arg(
            num(re), im < 0 || std::isnan(im) ? QString() : QStringLiteral("+"), imag);
    }
    if (!isFloat) return int128Text(integer);
    QString t = num(re);
    // Keep a float a float when typed back ("2.0", not "2").
    if (std::isfinite(re) && !t.contains(QLatin1Char('.')) && !t.contains(QLatin1Char('e')))
        t += QStringLiteral(".0");
    return t;
}

QString EditOperation::refusal(DType dtype) const {
    const QString type = dtypeName(dtype);
    const bool arithmetic = kind == Kind::Add || kind == Kind::Subtract || kind == Kind::Multiply ||
                            kind == Kind::Divide;
    if (kind == Kind::Restore) return QString();
    if (isComplex(dtype)) {
        if (kind == Kind::Clamp) return QStringLiteral("clamp is not defined for complex values");
        if (isRandom())
            return QStringLiteral("re-initialising %1 tensors is not supported").arg(type);
        return QString();
    }
    if (a.isComplex || (kind == Kind::Clamp && b.isComplex))
        return QStringLiteral("a complex value cannot be stored in a %1 tensor").arg(type);
    if (dtype == DType::Bool) {
        if (kind != Kind::Set)
            return QStringLiteral("bool tensors can only be set (to True/1 or False/0)");
        return QString();
    }
    if (isInteger(dtype)) {
        if (isRandom())
            return QStringLiteral("re-initialising %1 tensors is not supported").arg(type);
        if (kind == Kind::Divide)
            return QStringLiteral("true division of a %1 tensor gives floats, which PyTorch "
                                  "cannot store in it in place (result type Float can't be "
                                  "cast to %1)")
                .arg(type);
        if ((arithmetic || kind == Kind::Clamp) &&
            (a.isFloat || (kind == Kind::Clamp && b.isFloat)))
            return QStringLiteral("a float operand (%1) gives floats, which PyTorch cannot store "
                                  "in a %2 tensor in place (result type Float can't be cast to "
                                  "%2); use an integer")
                .arg(a.isFloat ? a.text() : b.text(), type);
        Int128 lo = 0, hi = 0;
        integerRange(dtype, &lo, &hi);
        auto outside = [&](const Scalar& s) {
            if (s.isFloat) {
                if (std::isnan(s.re)) return true;
                const double t = std::trunc(s.re);
                return t < double(lo) || t > double(hi);
            }
            return s.integer < lo || s.integer > hi;
        };
        if ((kind == Kind::Set || kind == Kind::Clamp) && outside(a))
            return QStringLiteral("%1 cannot be stored in a %2 tensor: its range is %3")
                .arg(a.text(), type, integerRangeText(dtype));
        if (kind == Kind::Clamp && outside(b))
            return QStringLiteral("%1 cannot be stored in a %2 tensor: its range is %3")
                .arg(b.text(), type, integerRangeText(dtype));
        return QString();
    }
    if ((dtype == DType::Float8E4M3 || dtype == DType::Float8E5M2) &&
        (kind == Kind::Set || kind == Kind::Clamp)) {
        for (const Scalar* s : {&a, &b}) {
            if (s == &b && kind != Kind::Clamp) break;
            const double v = s->re;
            const char code = char(floatToFp8(float(v), dtype));
            if (std::isfinite(v) && !std::isfinite(readElement(&code, dtype)))
                return QStringLiteral("%1 lies outside the range of %2, [-%3, %3]; PyTorch would "
                                      "store NaN")
                    .arg(s->text(), type)
                    .arg(fp8Max(dtype));
        }
    }
    return QString();
}

double EditOperation::apply(double v) const {
    switch (kind) {
    case Kind::Set:
        return a.re;
    case Kind::Add:
        return v + a.re;
    case Kind::Subtract:
        return v - a.re;
    case Kind::Multiply:
        return v * a.re;
    case Kind::Divide:
        return v / a.re;
    case Kind::Clamp:
        if (std::isnan(v)) return v;
        return std::min(std::max(v, a.re), b.re);
    case Kind::Uniform:
    case Kind::Normal:
    case Kind::Restore:
        break;
    }
    return v;
}

QString EditOperation::describe() const {
    switch (kind) {
    case Kind::Set:
        return !a.isComplex && a.re == 0 ? QStringLiteral("set to zero")
                                         : QStringLiteral("= ") + a.text();
    case Kind::Clamp:
        return QStringLiteral("clamp to [%1, %2]").arg(a.text(), b.text());
    case Kind::Uniform:
        return QStringLiteral("re-initialise U(-%1, %1)").arg(QString::number(a.re, 'g', 8));
    case Kind::Normal:
        return QStringLiteral("re-initialise N(%1, %2²)")
            .arg(QString::number(a.re, 'g', 8), QString::number(b.re, 'g', 8));
    case Kind::Restore:
        return QStringLiteral("restore original");
    default:
        return expression();
    }
}

QString EditOperation::expression() const {
    switch (kind) {
    case Kind::Set:
        return QStringLiteral("= ") + a.text();
    case Kind::Add:
        return QStringLiteral("+= ") + a.text();
    case Kind::Subtract:
        return QStringLiteral("-= ") + a.text();
    case Kind::Multiply:
        return QStringLiteral("*= ") + a.text();
    case Kind::Divide:
        return QStringLiteral("/= ") + a.text();
    case Kind::Clamp:
    case Kind::Uniform:
    case Kind::Normal:
    case Kind::Restore:
        break;
    }
    return QString();
}

} // namespace ws
