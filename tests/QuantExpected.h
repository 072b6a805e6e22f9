// Expected values of the quantized-safetensors fixtures (tests/fixtures/quant/
// safetensors/<name>.expected/, written by make_quant_safetensors.py from its own
// numpy references): reading expected.json, decoding a tensor whole, comparing
// float32 values bit for bit and by sha256.
#pragma once

#include "TestUtil.h"
#include "WeightFile.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cstring>

namespace wstest {

inline QString quantFixture(const QString& rel) {
    return fixture(QStringLiteral("quant/safetensors/") + rel);
}

inline QJsonObject quantExpected(const QString& name) {
    QFile f(quantFixture(name + QStringLiteral(".expected/expected.json")));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

/// Every value of \a t as float32 in C order: through its encoding, or converted.
inline bool decodeAll(const ws::Tensor& t, std::vector<float>* out, QString* error) {
    out->assign(size_t(t.numel()), 0.0f);
    if (!t.problem.isEmpty()) {
        *error = t.problem;
        return false;
    }
    if (t.encoding) return t.encoding->decode(t, 0, t.numel(), out->data(), error);
    std::vector<double> d;
    if (!t.valuesDouble(&d, error)) return false;
    for (size_t i = 0; i < d.size(); ++i)
        (*out)[i] = float(d[i]);
    return true;
}

inline QString sha256Of(const std::vector<float>& v) {
    return QString::fromLatin1(
        QCryptographicHash::hash(
            QByteArrayView(reinterpret_cast<const char*>(v.data()), qsizetype(v.size() * 4)),
            QCryptographicHash::Sha256)
            .toHex());
}

inline bool sameBits(float a, float b) {
    return std::memcmp(&a, &b, 4) == 0 || (a != a && b != b);
}

/// Empty when \a got (rows x cols, C order) equals the .npy at \a npyPath bit for bit,
/// else the first difference. \a pick maps npy element i to an index of \a got.
template <typename Pick>
QString compareWithNpy(const std::vector<float>& got, const QString& npyPath, Pick pick) {
    Npy npy;
    if (!readNpy(npyPath, &npy)) return QStringLiteral("cannot read %1").arg(npyPath);
    if (npy.descr != QLatin1String("<f4")) return QStringLiteral("%1 is not <f4").arg(npyPath);
    for (size_t i = 0; i < npy.values.size(); ++i) {
        const float want = float(npy.values[i]);
        const float have = got[size_t(pick(int64_t(i), npy))];
        if (!sameBits(want, have))
            return QStringLiteral("%1: element %2 is %3, expected %4")
                .arg(npyPath)
                .arg(i)
                .arg(double(have), 0, 'g', 9)
                .arg(double(want), 0, 'g', 9);
    }
    return QString();
}

} // namespace wstest
