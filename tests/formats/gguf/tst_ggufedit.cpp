// Editing GGUF files end to end through the Document: plain tensors (f32, f16,
// bf16, integers) change exactly as their dtype stores values; a save in place
// rewrites only the edited tensors' bytes, and @huggingface/gguf reads the saved
// file with the same structure. Undo restores the original bytes.
#include "Document.h"
#include "FormatRegistry.h"
#include "GgufState.h"
#include "TestUtil.h"

#include <QTemporaryDir>
#include <cmath>

using namespace ws;

namespace {

QByteArray readAllOf(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString allTypes() {
    return wstest::fixture(QStringLiteral("quant/gguf/all_types.gguf"));
}

// The file's byte ranges [offset, offset + bytes) of tensors \a names.
std::vector<std::pair<qint64, qint64>> rangesOf(const WeightFile& f, const QStringList& names) {
    std::vector<std::pair<qint64, qint64>> out;
    for (const QString& n : names) {
        const TensorPtr t = f.find(n);
        out.emplace_back(t->storage->fileOffset(), t->storage->byteSize());
    }
    return out;
}

// True when \a a and \a b differ only inside \a ranges.
bool sameOutside(const QByteArray& a, const QByteArray& b,
                 const std::vector<std::pair<qint64, qint64>>& ranges) {
    if (a.size() != b.size()) return false;
    for (qint64 i = 0; i < a.size(); ++i) {
        if (a[i] == b[i]) continue;
        bool inside = false;
        for (const auto& [o, n] : ranges)
            inside = inside || (i >= o && i < o + n);
        if (!inside) return false;
    }
    return true;
}

double valueAt(const Tensor& t, int64_t flat) {
    const int es = dtypeSize(t.dtype);
    QByteArray b(es, '\0');
    QString error;
    if (!t.storage->readBytes(flat * es, es, b.data(), &error)) return NAN;
    return readElement(b.constData(), t.dtype);
}

} // namespace

class TstGgufEdit : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

    // node tests/gguf-js/crosscheck.mjs WS_BINARY path: our reading of \a path agrees
    // with @huggingface/gguf's.
    void crossCheck(const QString& path) {
        const QString script =
            QDir(wstest::env("WS_FIXTURES")).filePath(QStringLiteral("../gguf-js/crosscheck.mjs"));
        const wstest::RunResult r =
            wstest::runProcess(QStringLiteral("node"), {script, wstest::env("WS_BINARY"), path});
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    }

private Q_SLOTS:
    void plainTensorsEditExactlyAndSaveInPlace() {
        const QString path = m_tmp.filePath(QStringLiteral("plain.gguf"));
        QFile::remove(path);
        QVERIFY(QFile::copy(allTypes(), path));
        const QByteArray before = readAllOf(path);
        QString error;
        auto wf = openWeightFile(path, &error);
        QVERIFY2(wf, qPrintable(error));
        const auto ranges = rangesOf(
            *wf, {QStringLiteral("blk.0.attn_q.weight"), QStringLiteral("blk.0.attn_k.weight"),
                  QStringLiteral("output_norm.weight"), QStringLiteral("blk.0.ffn_up.weight")});
        Document doc(std::move(wf));
        const auto edit = [&](const char* name, int64_t r, int64_t c, double v) {
            const TensorPtr t = doc.file().find(QString::fromLatin1(name));
            const Region cell =
                t->rank() == 1 ? Region::rect2d(*t, 0, c, 1, 1) : Region::cell2d(*t, r, c);
            return doc.edit(QString::fromLatin1(name), cell, EditOperation::set(v), &error);
        };
        QVERIFY2(edit("blk.0.attn_q.weight", 1, 2, 0.1), qPrintable(error));     // f16
        QVERIFY2(edit("blk.0.attn_k.weight", 2, 7, 1.0 / 3), qPrintable(error)); // bf16
        QVERIFY2(edit("output_norm.weight", 0, 255, -1.5), qPrintable(error));   // f32
        QVERIFY2(edit("blk.0.ffn_up.weight", 0, 0, -7), qPrintable(error));      // i32
        QVERIFY2(doc.save(path, &error), qPrintable(error));
        const QByteArray after = readAllOf(path);
        QVERIFY(after != before);
        QVERIFY(sameOutside(before, after, ranges));
        auto back = openWeightFile(path, &error);
        QVERIFY2(back, qPrintable(error));
        QCOMPARE(valueAt(*back->find(QStringLiteral("blk.0.attn_q.weight")), 1 * 8 + 2),
                 double(halfToFloat(floatToHalf(0.1f))));
        QCOMPARE(valueAt(*back->find(QStringLiteral("blk.0.attn_k.weight")), 2 * 8 + 7),
                 double(bfloat16ToFloat(floatToBFloat16(float(1.0 / 3)))));
        QCOMPARE(valueAt(*back->find(QStringLiteral("output_norm.weight")), 255), -1.5);
        QCOMPARE(valueAt(*back->find(QStringLiteral("blk.0.ffn_up.weight")), 0), -7.0);
        crossCheck(path);
    }

    void undoRestoresTheOriginalBytes() {
        const QString path = m_tmp.filePath(QStringLiteral("undo.gguf"));
        QFile::remove(path);
        QVERIFY(QFile::copy(allTypes(), path));
        QString error;
        auto wf = openWeightFile(path, &error);
        QVERIFY2(wf, qPrintable(error));
        Document doc(std::move(wf));
        const TensorPtr t = doc.file().find(QStringLiteral("blk.0.attn_q.weight"));
        QVERIFY(doc.edit(QStringLiteral("blk.0.attn_q.weight"), Region::whole(*t),
                         EditOperation::multiply(3), &error));
        doc.undoStack()->undo();
        QVERIFY2(doc.save(path, &error), qPrintable(error));
        QCOMPARE(readAllOf(path), readAllOf(allTypes()));
    }
};

QTEST_GUILESS_MAIN(TstGgufEdit)
#include "tst_ggufedit.moc"
