// What the crash-safety tests (tests/app/tst_crashsafety.cpp, tst_savefailures.cpp)
// share: one case per format that can be saved, its files made at test time by the
// real tools (tests/scripts/make_crashsafety_files.py), and helpers to fingerprint
// a folder and to run `weightscope edit` on it.
#pragma once

#include "TestUtil.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>

namespace wstest {

/// One format that can be saved: the generator's FORMAT, the file to open, the
/// edit to save in place, the tensor it changes, and the file a save rewrites
/// (the shard holding that tensor for a sharded model, else the file itself).
struct SaveCase {
    QString format;
    QString file;
    QString expr;
    QString tensor;
    QString rewritten;
    bool namedTemp = false; ///< saved through AtomicTempFile (.NAME.wstmp-XXXXXX)
};

inline QList<SaveCase> saveCases() {
    const QString shard = QStringLiteral("model-00001-of-00002.safetensors");
    return {
        {"pytorch", "m.pt", "small = 1", "small", "m.pt"},
        {"legacy", "legacy.pt", "small = 1", "small", "legacy.pt"}, // saved as zip
        {"safetensors", "m.safetensors", "small = 1", "small", "m.safetensors"},
        {"sharded", "model.safetensors.index.json", "small = 1", "small", shard},
        {"npy", "m.npy", "m[0:4] = 1", "m", "m.npy"},
        {"npz", "m.npz", "small = 1", "small", "m.npz"},
        {"hdf5", "m.h5", "small = 1", "small", "m.h5", true},
        {"onnx", "m.onnx", "small = 1", "small", "m.onnx"},
    };
}

/// Writes \a c's files into \a dir, "big" holding \a mib MiB; false with \a output.
inline bool makeSaveCaseFiles(const SaveCase& c, const QString& dir, int mib, QString* output) {
    const int code = runPython({env("WS_SCRIPTS") + QStringLiteral("/make_crashsafety_files.py"),
                                c.format, dir, QString::number(mib)},
                               output, 600000);
    return code == 0 && output->trimmed() == c.file;
}

/// Every file in \a dir (hidden ones too) by name, with its MD5.
inline QMap<QString, QByteArray> fingerprint(const QString& dir) {
    QMap<QString, QByteArray> out;
    const QDir d(dir);
    for (const QString& name : d.entryList(QDir::Files | QDir::Hidden | QDir::System)) {
        QFile f(d.filePath(name));
        QCryptographicHash hash(QCryptographicHash::Md5);
        if (f.open(QIODevice::ReadOnly)) hash.addData(&f);
        out.insert(name, hash.result());
    }
    return out;
}

/// Names of the files in \a dir, hidden ones too.
inline QStringList fileNames(const QString& dir) {
    return QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

/// `weightscope stats FILE TENSOR --json` as a JSON object (empty on failure).
inline QJsonObject tensorStats(const QString& file, const QString& tensor) {
    const RunResult r = runProcess(
        env("WS_BINARY"), {QStringLiteral("stats"), file, tensor, QStringLiteral("--json")});
    return r.code == 0 ? QJsonDocument::fromJson(r.out.toUtf8()).object() : QJsonObject();
}

} // namespace wstest
