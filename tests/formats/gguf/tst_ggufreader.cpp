// The GGUF reader against the fixtures of tests/fixtures/quant/gguf (written by
// gguf_write.py, an independent writer): structure, metadata, the layer tree,
// unknown types, every hostile file of hostile.json, and byte-exact saving.
#include "FormatRegistry.h"
#include "GgufFormat.h"
#include "GgufState.h"
#include "GgufTestFile.h"
#include "LayerTree.h"
#include "TestUtil.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTemporaryDir>
#include <sys/resource.h>

using namespace ws;

namespace {

QJsonObject readJson(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

QByteArray readAllOf(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString ggufDir() {
    return wstest::fixture(QStringLiteral("quant/gguf/"));
}

// The value a typed metadata entry must have, from expected.json's entry.
bool sameMetadataValue(const QVariant& got, const QJsonObject& want) {
    const QString type = want.value(QLatin1String("type")).toString();
    if (type == QLatin1String("ARRAY")) {
        const QVariantMap m = got.toMap();
        if (m.value(QStringLiteral("type")).toString() !=
                want.value(QLatin1String("element_type")).toString() ||
            m.value(QStringLiteral("length")).toLongLong() !=
                want.value(QLatin1String("length")).toInteger())
            return false;
        const QVariantList first = m.value(QStringLiteral("first")).toList();
        const QJsonArray wfirst = want.value(QLatin1String("first")).toArray();
        if (first.size() != wfirst.size()) return false;
        for (int i = 0; i < first.size(); ++i) {
            QJsonObject e{{QStringLiteral("type"), want.value(QLatin1String("element_type"))},
                          {QStringLiteral("value"), wfirst[i]}};
            if (!sameMetadataValue(first[i], e)) return false;
        }
        return true;
    }
    const QJsonValue w = want.value(QLatin1String("value"));
    if (type == QLatin1String("UINT64")) return QString::number(got.toULongLong()) == w.toString();
    if (type == QLatin1String("INT64")) return QString::number(got.toLongLong()) == w.toString();
    if (type == QLatin1String("STRING")) return got.toString() == w.toString();
    if (type == QLatin1String("BOOL")) return got.toBool() == w.toBool();
    return got.toDouble() == w.toDouble();
}

long maxRssKiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

} // namespace

class TstGgufReader : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void structureMatchesTheWriter_data() {
        QTest::addColumn<QString>("stem");
        for (const char* f : {"all_types", "v2", "aligned64", "unknown_type_41", "unknown_type_99"})
            QTest::newRow(f) << QString::fromLatin1(f);
    }
    void structureMatchesTheWriter() {
        QFETCH(QString, stem);
        const QJsonObject exp =
            readJson(ggufDir() + stem + QStringLiteral(".expected/expected.json"));
        QVERIFY(!exp.isEmpty());
        QString error;
        const QString path = ggufDir() + stem + QStringLiteral(".gguf");
        QCOMPARE(detectFormat(path, &error)->id(), QStringLiteral("gguf"));
        auto wf = openWeightFile(path, &error);
        QVERIFY2(wf, qPrintable(error));
        QCOMPARE(wf->formatId, QStringLiteral("gguf"));
        QCOMPARE(wf->formatName,
                 QStringLiteral("GGUF v%1").arg(exp.value(QLatin1String("version")).toInt()));
        const auto* state = dynamic_cast<const GgufState*>(wf->state.get());
        QVERIFY(state);
        QCOMPARE(state->header.dataOffset, exp.value(QLatin1String("data_offset")).toInteger());
        QCOMPARE(qint64(state->header.alignment),
                 exp.value(QLatin1String("alignment")).toInteger());
        const QJsonArray tensors = exp.value(QLatin1String("tensors")).toArray();
        QCOMPARE(int(wf->tensors.size()), tensors.size());
        for (int i = 0; i < tensors.size(); ++i) {
            const QJsonObject e = tensors[i].toObject();
            const Tensor& t = *wf->tensors[size_t(i)];
            QCOMPARE(t.name, e.value(QLatin1String("name")).toString());
            std::vector<int64_t> shape;
            for (const QJsonValue& d : e.value(QLatin1String("shape")).toArray())
                shape.push_back(d.toInteger());
            QCOMPARE(t.shape, shape);
            QCOMPARE(t.storage->fileOffset(),
                     e.value(QLatin1String("absolute_offset")).toInteger());
            const QJsonValue type = e.value(QLatin1String("type"));
            if (type.isNull() || type.toString() == QLatin1String("Q1_0")) {
                QVERIFY(t.problem.startsWith(QStringLiteral("unsupported GGUF type %1")
                                                 .arg(e.value(QLatin1String("type_id")).toInt())));
                QCOMPARE(e.value(QLatin1String("name")).toString(),
                         exp.value(QLatin1String("unknown_tensor")).toString());
                QCOMPARE(t.storage->byteSize(), e.value(QLatin1String("n_bytes")).toInteger());
                QCOMPARE(t.typeName(),
                         type.isNull() ? QStringLiteral("ggml type 99") : QStringLiteral("q1_0"));
                QVERIFY(t.encoding && !t.encoding->validate(t).isEmpty());
                continue;
            }
            QVERIFY2(t.problem.isEmpty(), qPrintable(t.problem));
            QCOMPARE(t.storage->byteSize(), e.value(QLatin1String("n_bytes")).toInteger());
            const QString name = type.toString();
            const QString plain = name == QLatin1String("F32")    ? QStringLiteral("float32")
                                  : name == QLatin1String("F16")  ? QStringLiteral("float16")
                                  : name == QLatin1String("BF16") ? QStringLiteral("bfloat16")
                                  : name == QLatin1String("F64")  ? QStringLiteral("float64")
                                  : name == QLatin1String("I8")   ? QStringLiteral("int8")
                                  : name == QLatin1String("I16")  ? QStringLiteral("int16")
                                  : name == QLatin1String("I32")  ? QStringLiteral("int32")
                                  : name == QLatin1String("I64")  ? QStringLiteral("int64")
                                                                  : QString();
            if (!plain.isEmpty()) {
                QVERIFY(!t.encoding);
                QCOMPARE(t.typeName(), plain);
            } else {
                QVERIFY(t.encoding);
                QCOMPARE(t.dtype, DType::Float32);
                QCOMPARE(t.typeName().toUpper(), name); // ggml's names: "q4_K", "iq2_xxs"
                QVERIFY2(t.encoding->validate(t).isEmpty(), qPrintable(t.encoding->validate(t)));
            }
        }
        // Metadata in file order, typed, arrays summarised.
        const QJsonArray meta = exp.value(QLatin1String("metadata")).toArray();
        QCOMPARE(int(wf->typedMetadata.size()), meta.size());
        for (int i = 0; i < meta.size(); ++i) {
            const QJsonObject m = meta[i].toObject();
            QCOMPARE(wf->typedMetadata[size_t(i)].first, m.value(QLatin1String("key")).toString());
            QVERIFY2(sameMetadataValue(wf->typedMetadata[size_t(i)].second, m),
                     qPrintable(m.value(QLatin1String("key")).toString()));
            QVERIFY(wf->metadata.contains(m.value(QLatin1String("key")).toString()));
        }
    }

    void summarisesTheModel() {
        QString error;
        auto wf = openWeightFile(ggufDir() + QStringLiteral("all_types.gguf"), &error);
        QVERIFY2(wf, qPrintable(error));
        QMap<QString, QString> s;
        for (const auto& [k, v] : wf->summary)
            s.insert(k, v);
        QCOMPARE(wf->summary.front().first, QStringLiteral("Architecture"));
        QCOMPARE(s.value(QStringLiteral("Architecture")), QStringLiteral("llama"));
        QCOMPARE(s.value(QStringLiteral("Name")), QStringLiteral("WeightScope all GGUF types"));
        QCOMPARE(s.value(QStringLiteral("Context length")), QStringLiteral("256"));
        QCOMPARE(s.value(QStringLiteral("Block count")), QStringLiteral("4"));
        QCOMPARE(s.value(QStringLiteral("Attention heads")), QStringLiteral("4"));
        QCOMPARE(s.value(QStringLiteral("KV heads")), QStringLiteral("2"));
        QCOMPARE(s.value(QStringLiteral("RoPE freq base")), QStringLiteral("10000"));
        QCOMPARE(s.value(QStringLiteral("File type")), QStringLiteral("15 (MOSTLY_Q4_K_M)"));
        QCOMPARE(s.value(QStringLiteral("Tokenizer")), QStringLiteral("llama"));
        QCOMPARE(s.value(QStringLiteral("Vocabulary size")), QStringLiteral("300"));
        QVERIFY(s.value(QStringLiteral("First tokens"))
                    .startsWith(QStringLiteral("<unk>, <s>, </s>, <0x00>")));
        // Arrays are summarised, never printed whole.
        const QString tokens = wf->metadata.value(QStringLiteral("tokenizer.ggml.tokens"));
        QCOMPARE(tokens, QStringLiteral("[300 strings] <unk>, <s>, </s>, <0x00>, <0x01>, ..."));
        QCOMPARE(wf->metadata.value(QStringLiteral("weightscope.test.u64")),
                 QStringLiteral("18446744073709551615"));
        QCOMPARE(wf->metadata.value(QStringLiteral("weightscope.test.empty_array")),
                 QStringLiteral("[0 uint8s]"));
    }

    void layerTreeFromLlamaNames() {
        QString error;
        auto wf = openWeightFile(ggufDir() + QStringLiteral("all_types.gguf"), &error);
        QVERIFY2(wf, qPrintable(error));
        const auto root = buildLayerTree(*wf);
        const auto node = [&](const QString& path) {
            const LayerNode* n = root.get();
            for (const QString& part : path.split(QLatin1Char('.'))) {
                n = n ? n->child(part) : nullptr;
            }
            return n;
        };
        QVERIFY(node(QStringLiteral("blk.0")));
        QCOMPARE(node(QStringLiteral("token_embd"))->kind, QStringLiteral("Embedding"));
        QCOMPARE(node(QStringLiteral("token_embd"))->detail, QStringLiteral("300 x 32"));
        QCOMPARE(node(QStringLiteral("blk.1.attn_q"))->kind, QStringLiteral("Linear"));
        QCOMPARE(node(QStringLiteral("blk.1.attn_q"))->detail, QStringLiteral("in 64 -> out 3"));
        QCOMPARE(node(QStringLiteral("blk.1.ffn_down"))->kind, QStringLiteral("Linear"));
        QCOMPARE(node(QStringLiteral("output_norm"))->kind, QStringLiteral("Norm"));
        QCOMPARE(node(QStringLiteral("output"))->kind, QStringLiteral("Linear"));
        QCOMPARE(node(QStringLiteral("blk.3.ffn_gate_exps"))->kind, QStringLiteral("Experts"));
        QCOMPARE(node(QStringLiteral("blk.3.ffn_gate_exps"))->detail,
                 QStringLiteral("2 experts, in 64 -> out 3"));
        QCOMPARE(root->parameterCount, wf->parameterCount());
    }

    // Each lie of hostile.json gets a clear error naming the file and the field (or,
    // where ggml opens the file, opens), with memory bounded by the file, not its claims.
    void hostileFiles() {
        const QString dir = ggufDir() + QStringLiteral("hostile/");
        const QJsonObject doc = readJson(dir + QStringLiteral("hostile.json"));
        const QJsonArray files = doc.value(QLatin1String("files")).toArray();
        QCOMPARE(files.size(), 28);
        const QMap<QString, QString> says = {
            {"tensor_count_huge.gguf", "tensor_count is 1152921504606846976"},
            {"tensor_count_lies.gguf", "tensor"},
            {"kv_count_huge.gguf", "kv_count is 1152921504606846976"},
            {"kv_count_lies.gguf", ""},
            {"string_past_eof.gguf", "'general.name' has length 1000000"},
            {"n_dims_5.gguf", "'blk.0.attn_q.weight' has 5 dimensions"},
            {"dims_overflow.gguf", "'blk.0.attn_q.weight'"},
            {"offset_past_eof.gguf", "'blk.0.attn_k.weight' has offset 1048576"},
            {"data_truncated.gguf", "'blk.0.attn_k.weight' needs 16384 bytes"},
            {"overlapping_tensors.gguf", "overlaps tensor 'blk.0.attn_k.weight'"},
            {"offset_unaligned.gguf", "offset 36, not a multiple of the alignment 32"},
            {"alignment_zero.gguf", "general.alignment is 0, not a power of two"},
            {"alignment_not_pow2.gguf", "general.alignment is 48, not a power of two"},
            {"alignment_wrong_type.gguf", "general.alignment is UINT64; it must be UINT32"},
            {"nested_array.gguf", "'weightscope.nested' is an array of arrays"},
            {"duplicate_tensor_name.gguf", "two tensors are named 'blk.0.attn_q.weight'"},
            {"duplicate_key.gguf", "'general.name' appears twice"},
            {"big_endian.gguf", "big-endian"},
            {"magic_fugg.gguf", "big-endian"},
            {"version_1.gguf", "version 1 is no longer supported"},
            {"version_4.gguf", "version 4 is not supported"},
            {"truncated_tensor_infos.gguf",
             "ends inside the shape of tensor 'blk.0.attn_k.weight'"},
            {"truncated_header.gguf", "ends inside the version"},
            {"tensor_name_too_long.gguf", "name of tensor 1 is 64 bytes long"},
            {"ne0_not_block_multiple.gguf", "'blk.0.attn_k.weight' of type q4_0 has 40 elements "
                                            "per row, not a multiple of its block size 32"},
            {"kv_type_13.gguf", "'general.architecture' has invalid value type 13"},
        };
        const long rssBefore = maxRssKiB();
        for (const QJsonValue& v : files) {
            const QJsonObject f = v.toObject();
            const QString name = f.value(QLatin1String("file")).toString();
            const QString expect = f.value(QLatin1String("expect")).toString();
            const QString path = dir + name;
            QString error;
            auto wf = openWeightFile(path, &error);
            if (expect == QLatin1String("accept")) {
                QVERIFY2(wf, qPrintable(name + QLatin1String(": ") + error));
                continue;
            }
            if (name == QLatin1String("unknown_type_99_only.gguf")) { // listed as unsupported
                QVERIFY2(wf, qPrintable(error));
                QCOMPARE(int(wf->tensors.size()), 1);
                QVERIFY(wf->tensors[0]->problem.contains(QLatin1String("type 99")));
                continue;
            }
            QVERIFY2(!wf, qPrintable(name));
            QVERIFY2(error.startsWith(path + QLatin1String(": ")), qPrintable(error));
            QVERIFY2(says.contains(name), qPrintable(name));
            QVERIFY2(error.contains(says.value(name)), qPrintable(error));
        }
        // Counts of 2^60 and lengths of 10^6 allocated nothing of that size.
        QVERIFY(maxRssKiB() - rssBefore < 64 * 1024);
    }

    void dimZeroOpens() {
        QString error;
        auto wf = openWeightFile(ggufDir() + QStringLiteral("hostile/dim_zero.gguf"), &error);
        QVERIFY2(wf, qPrintable(error));
        QCOMPARE(wf->tensors[0]->numel(), int64_t(0));
        QCOMPARE(wf->tensors[0]->shape, (std::vector<int64_t>{0, 4}));
        QCOMPARE(wf->tensors[1]->numel(), int64_t(8));
    }

    // A quantized tensor with no rows (found by the fuzzer): valid, nothing to decode.
    void zeroSizeQuantizedTensor() {
        QByteArray bytes = wstest::ggufTestFile({{"general.architecture", "llama"}},
                                                {{"a.weight", {0, 3}, 2, QByteArray()},
                                                 {"b.weight", {32, 1}, 8, QByteArray(34, '\0')}});
        QBuffer buf(&bytes);
        buf.open(QIODevice::ReadOnly);
        QString error;
        auto wf = readGguf(&buf, bytes.size(), QStringLiteral("zero.gguf"), &error);
        QVERIFY2(wf, qPrintable(error));
        const Tensor& a = *wf->tensors[0];
        QCOMPARE(a.shape, (std::vector<int64_t>{3, 0}));
        QCOMPARE(a.typeName(), QStringLiteral("q4_0"));
        QVERIFY2(a.encoding->validate(a).isEmpty(), qPrintable(a.encoding->validate(a)));
        QVERIFY(a.encoding->decode(a, 0, 0, nullptr, &error));
        QCOMPARE(wf->tensors[1]->storage->byteSize(), qint64(34));
    }

    // Every prefix and many single-byte corruptions of a valid file: an error or a
    // file, never a crash (the fuzz target does this at scale).
    void truncatedAndCorruptedCopies() {
        const QByteArray good = readAllOf(ggufDir() + QStringLiteral("aligned64.gguf"));
        QVERIFY(!good.isEmpty());
        // The file opens once it holds the last tensor's bytes (the padding after it may go).
        qint64 needed = 0;
        for (const QJsonValue& v :
             readJson(ggufDir() + QStringLiteral("aligned64.expected/expected.json"))
                 .value(QLatin1String("tensors"))
                 .toArray())
            needed =
                std::max(needed, v.toObject().value(QLatin1String("absolute_offset")).toInteger() +
                                     v.toObject().value(QLatin1String("n_bytes")).toInteger());
        QVERIFY(needed > 0 && needed < good.size());
        for (int n = 0; n <= good.size(); ++n) {
            QByteArray part = good.left(n);
            QBuffer buf(&part);
            buf.open(QIODevice::ReadOnly);
            QString error;
            auto wf = readGguf(&buf, part.size(), QStringLiteral("x.gguf"), &error);
            QVERIFY2(bool(wf) == (n >= needed), qPrintable(QString::number(n) + error));
            QVERIFY(wf || !error.isEmpty());
        }
        for (int i = 0; i < 400 && i < good.size(); ++i) {
            QByteArray bad = good;
            bad[i] = char(bad[i] ^ 0x5A);
            QBuffer buf(&bad);
            buf.open(QIODevice::ReadOnly);
            QString error;
            auto wf = readGguf(&buf, bad.size(), QStringLiteral("x.gguf"), &error);
            QVERIFY(wf || !error.isEmpty());
        }
    }

    // A save without edits writes the file back byte for byte (also as another name).
    void saveWithoutEditsKeepsEveryByte() {
        QString error;
        const QString src = m_tmp.filePath(QStringLiteral("copy.gguf"));
        QVERIFY(QFile::copy(ggufDir() + QStringLiteral("all_types.gguf"), src));
        auto wf = openWeightFile(src, &error);
        QVERIFY2(wf, qPrintable(error));
        const QString other = m_tmp.filePath(QStringLiteral("other.gguf"));
        QVERIFY2(wf->format->save(*wf, other, &error), qPrintable(error));
        QCOMPARE(readAllOf(other), readAllOf(src));
        QVERIFY2(wf->format->save(*wf, src, &error), qPrintable(error));
        QCOMPARE(readAllOf(src), readAllOf(ggufDir() + QStringLiteral("all_types.gguf")));
    }

    void refusesToConvertToGguf() {
        QString error;
        auto wf =
            openWeightFile(wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")), &error);
        QVERIFY2(wf, qPrintable(error));
        const GgufFormat gguf;
        QVERIFY(!gguf.save(*wf, m_tmp.filePath(QStringLiteral("x.gguf")), &error));
        QVERIFY2(error.contains(QLatin1String("converting to GGUF is not supported")),
                 qPrintable(error));
        QVERIFY(!QFile::exists(m_tmp.filePath(QStringLiteral("x.gguf"))));
    }
};

QTEST_GUILESS_MAIN(TstGgufReader)
#include "tst_ggufreader.moc"
