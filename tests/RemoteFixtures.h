// Files for the remote-file tests: copies of fixtures into the folder a test server
// serves, and safetensors files of any size generated at test time.
#pragma once

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <utility>
#include <vector>

namespace wstest {

inline bool copyInto(const QString& from, const QString& to) {
    QDir().mkpath(QFileInfo(to).absolutePath());
    return QFile::copy(from, to);
}

// A safetensors file of F32 tensors with shapes \a tensors, values a pattern of the
// tensor's index and element position.
inline bool writeSafetensors(const QString& path,
                             const std::vector<std::pair<QString, std::vector<int64_t>>>& tensors) {
    QJsonObject header;
    qint64 offset = 0;
    for (const auto& [name, shape] : tensors) {
        qint64 n = 4;
        QJsonArray dims;
        for (int64_t d : shape) {
            n *= d;
            dims.append(qint64(d));
        }
        header.insert(name, QJsonObject{{"dtype", "F32"},
                                        {"shape", dims},
                                        {"data_offsets", QJsonArray{offset, offset + n}}});
        offset += n;
    }
    QByteArray json = QJsonDocument(header).toJson(QJsonDocument::Compact);
    while (json.size() % 8)
        json += ' ';
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    const quint64 len = quint64(json.size());
    char prefix[8];
    for (int i = 0; i < 8; ++i)
        prefix[i] = char((len >> (8 * i)) & 0xff);
    f.write(prefix, 8);
    f.write(json);
    int index = 0;
    for (const auto& [name, shape] : tensors) {
        qint64 n = 1;
        for (int64_t d : shape)
            n *= d;
        std::vector<float> values(static_cast<size_t>(n));
        for (qint64 i = 0; i < n; ++i)
            values[size_t(i)] = float((i * 7 + index * 13) % 1001) * 0.001f - 0.5f;
        if (f.write(reinterpret_cast<const char*>(values.data()), n * 4) != n * 4) return false;
        ++index;
    }
    return f.flush();
}

} // namespace wstest
