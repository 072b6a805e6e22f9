// Compares the tensors a reader returns with expected.json written beside the
// fixtures by the real tools (numpy, onnx): names, order, dtypes, shapes and
// exact values. Also a corruption sweep shared by the format tests.
#pragma once

#include "FileFormat.h"
#include "TestUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <random>

namespace wstest {

inline QJsonObject expectedJson(const QString& folder) {
    QFile f(fixture(folder + QStringLiteral("/expected.json")));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

/// Empty when \a file holds exactly the tensors \a expected lists, else the first difference.
inline QString compareTensors(const ws::WeightFile& file, const QJsonArray& expected) {
    if (file.tensors.size() != size_t(expected.size()))
        return QStringLiteral("%1 tensors, expected %2")
            .arg(file.tensors.size())
            .arg(expected.size());
    for (int i = 0; i < expected.size(); ++i) {
        const QJsonObject e = expected[i].toObject();
        const ws::Tensor& t = *file.tensors[size_t(i)];
        if (t.name != e[QStringLiteral("name")].toString())
            return QStringLiteral("tensor %1 is '%2', expected '%3'")
                .arg(i)
                .arg(t.name, e[QStringLiteral("name")].toString());
        if (ws::dtypeName(t.dtype) != e[QStringLiteral("dtype")].toString())
            return QStringLiteral("%1: dtype %2, expected %3")
                .arg(t.name, ws::dtypeName(t.dtype), e[QStringLiteral("dtype")].toString());
        std::vector<int64_t> shape;
        for (const auto& d : e[QStringLiteral("shape")].toArray())
            shape.push_back(d.toInteger());
        if (t.shape != shape) return QStringLiteral("%1: shape %2").arg(t.name, t.shapeString());
        std::vector<double> values;
        QString err;
        if (!t.valuesDouble(&values, &err)) return err;
        const QJsonArray ev = e[QStringLiteral("values")].toArray();
        if (values.size() != size_t(ev.size())) return QStringLiteral("%1: count").arg(t.name);
        for (int k = 0; k < ev.size(); ++k) {
            const double want = ev[k].isString() ? ev[k].toString().toDouble() : ev[k].toDouble();
            const double got = values[size_t(k)];
            if (!(got == want))
                return QStringLiteral("%1[%2] = %3, expected %4")
                    .arg(t.name)
                    .arg(k)
                    .arg(got, 0, 'g', 17)
                    .arg(want, 0, 'g', 17);
        }
    }
    return QString();
}

/// Reads \a path with \a format and, if that succeeds, loads every tensor: the
/// reader must either succeed or fail with a message, never crash.
inline bool readsOrFailsCleanly(const ws::FileFormat& format, const QString& path) {
    QString err;
    auto file = format.read(path, &err);
    if (!file) return !err.isEmpty();
    for (const auto& t : file->tensors) {
        std::vector<double> values;
        QString e;
        if (!t->valuesDouble(&values, &e) && e.isEmpty()) return false;
    }
    return true;
}

/// Truncates \a original at every length (every \a step bytes) and flips
/// \a flips random bytes (seeded), checking readsOrFailsCleanly for each copy.
/// \a extraFiles are copied beside the damaged file (external data).
inline QString corruptionSweep(const ws::FileFormat& format, const QString& original, int flips,
                               const QStringList& extraFiles = {}) {
    QFile in(original);
    if (!in.open(QIODevice::ReadOnly)) return QStringLiteral("cannot read ") + original;
    const QByteArray bytes = in.readAll();
    QTemporaryDir dir;
    for (const QString& extra : extraFiles)
        QFile::copy(extra, dir.filePath(QFileInfo(extra).fileName()));
    const QString path = dir.filePath(QFileInfo(original).fileName());
    auto writeCase = [&](const QByteArray& b) {
        QFile::remove(path);
        QFile out(path);
        out.open(QIODevice::WriteOnly);
        out.write(b);
    };
    for (qsizetype n = 0; n < bytes.size(); ++n) {
        writeCase(bytes.left(n));
        if (!readsOrFailsCleanly(format, path))
            return QStringLiteral("truncated to %1 bytes: failed without a message").arg(n);
    }
    std::mt19937 rng(12345);
    for (int i = 0; i < flips && !bytes.isEmpty(); ++i) {
        QByteArray b = bytes;
        const int count = 1 + int(rng() % 4);
        for (int k = 0; k < count; ++k)
            b[qsizetype(rng() % quint32(b.size()))] = char(rng() & 0xff);
        writeCase(b);
        if (!readsOrFailsCleanly(format, path))
            return QStringLiteral("flip case %1: failed without a message").arg(i);
    }
    return QString();
}

} // namespace wstest
