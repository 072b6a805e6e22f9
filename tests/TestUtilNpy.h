// A small .npy reader for the tests' expected values (little-endian numeric
// types, bool, C or Fortran order). Independent of the product's readers.
#pragma once

#include <QRegularExpression>

namespace wstest {

inline bool readNpy(const QString& path, Npy* out) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return false;
    QByteArray all = f.readAll();
    if (all.size() < 10 || !all.startsWith("\x93NUMPY")) return false;
    int major = uchar(all[6]);
    qint64 hlen, start;
    if (major == 1) {
        hlen = uchar(all[8]) | (uchar(all[9]) << 8);
        start = 10;
    } else {
        hlen = qint64(uchar(all[8])) | (qint64(uchar(all[9])) << 8) |
               (qint64(uchar(all[10])) << 16) | (qint64(uchar(all[11])) << 24);
        start = 12;
    }
    QString header = QString::fromLatin1(all.mid(start, hlen));
    QRegularExpression descrRe(QStringLiteral("'descr':\\s*'([^']*)'"));
    QRegularExpression fortranRe(QStringLiteral("'fortran_order':\\s*(True|False)"));
    QRegularExpression shapeRe(QStringLiteral("'shape':\\s*\\(([^)]*)\\)"));
    auto d = descrRe.match(header), fo = fortranRe.match(header), s = shapeRe.match(header);
    if (!d.hasMatch() || !fo.hasMatch() || !s.hasMatch()) return false;
    out->descr = d.captured(1);
    out->fortran = fo.captured(1) == QLatin1String("True");
    out->shape.clear();
    int64_t n = 1;
    for (const QString& part : s.captured(1).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (part.trimmed().isEmpty()) continue;
        out->shape.push_back(part.trimmed().toLongLong());
        n *= out->shape.back();
    }
    const char* p = all.constData() + start + hlen;
    const QString t = out->descr.mid(1);
    int size = t.mid(1).toInt();
    if (out->descr[0] == QLatin1Char('>')) return false;
    if (all.size() - (start + hlen) < n * size) return false;
    out->values.resize(size_t(n));
    for (int64_t i = 0; i < n; ++i, p += size) {
        double v = 0;
        if (t == QLatin1String("f4")) {
            float x;
            std::memcpy(&x, p, 4);
            v = x;
        } else if (t == QLatin1String("f8")) {
            std::memcpy(&v, p, 8);
        } else if (t == QLatin1String("f2")) {
            quint16 h;
            std::memcpy(&h, p, 2);
            int e = (h >> 10) & 31, m = h & 1023;
            double mag = e == 0    ? std::ldexp(m, -24)
                         : e == 31 ? (m ? NAN : INFINITY)
                                   : std::ldexp(m + 1024, e - 25);
            v = (h & 0x8000) ? -mag : mag;
        } else if (t == QLatin1String("i8")) {
            qint64 x;
            std::memcpy(&x, p, 8);
            v = double(x);
        } else if (t == QLatin1String("i4")) {
            qint32 x;
            std::memcpy(&x, p, 4);
            v = x;
        } else if (t == QLatin1String("i2")) {
            qint16 x;
            std::memcpy(&x, p, 2);
            v = x;
        } else if (t == QLatin1String("i1")) {
            v = qint8(*p);
        } else if (t == QLatin1String("u1") || t == QLatin1String("b1")) {
            v = quint8(*p);
        } else if (t == QLatin1String("u2")) {
            quint16 x;
            std::memcpy(&x, p, 2);
            v = x;
        } else if (t == QLatin1String("u4")) {
            quint32 x;
            std::memcpy(&x, p, 4);
            v = x;
        } else if (t == QLatin1String("u8")) {
            quint64 x;
            std::memcpy(&x, p, 8);
            v = double(x);
        } else
            return false;
        out->values[size_t(i)] = v;
    }
    if (out->fortran && out->shape.size() >= 2) { // convert to C order
        std::vector<double> c(out->values.size());
        const size_t r = out->shape.size();
        std::vector<int64_t> idx(r, 0);
        for (int64_t i = 0; i < n; ++i) {
            int64_t rem = i, fpos = 0, mul = 1;
            for (int dd = int(r) - 1; dd >= 0; --dd) {
                idx[size_t(dd)] = rem % out->shape[size_t(dd)];
                rem /= out->shape[size_t(dd)];
            }
            for (size_t dd = 0; dd < r; ++dd) {
                fpos += idx[dd] * mul;
                mul *= out->shape[dd];
            }
            c[size_t(i)] = out->values[size_t(fpos)];
        }
        out->values = c;
    }
    return true;
}

} // namespace wstest
