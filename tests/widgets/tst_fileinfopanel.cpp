// The File Info panel: a GGUF's facts, model summary and metadata (arrays
// summarised), and a plain file's facts.
#include "FileInfoPanel.h"
#include "FormatRegistry.h"
#include "StatsPanel.h"
#include "TestUtil.h"

#include <QTreeWidget>

using namespace ws;

class TstFileInfoPanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void showsGgufFactsAndMetadata() {
        QString error;
        auto wf =
            openWeightFile(wstest::fixture(QStringLiteral("quant/gguf/all_types.gguf")), &error);
        QVERIFY2(wf, qPrintable(error));
        FileInfoPanel panel;
        panel.setFile(*wf);
        QCOMPARE(panel.value(QStringLiteral("Format")), QStringLiteral("GGUF v3"));
        QCOMPARE(panel.value(QStringLiteral("Tensors")), QStringLiteral("32"));
        QCOMPARE(panel.value(QStringLiteral("Architecture")), QStringLiteral("llama"));
        QCOMPARE(panel.value(QStringLiteral("Context length")), QStringLiteral("256"));
        QCOMPARE(panel.value(QStringLiteral("Vocabulary size")), QStringLiteral("300"));
        QCOMPARE(panel.value(QStringLiteral("tokenizer.ggml.tokens")),
                 QStringLiteral("[300 strings] <unk>, <s>, </s>, <0x00>, <0x01>, ..."));
        // Metadata keys in file order, after the File and Model groups.
        QCOMPARE(panel.tree()->topLevelItemCount(), 3);
        const QTreeWidgetItem* meta = panel.tree()->topLevelItem(2);
        QCOMPARE(meta->childCount(), 31);
        QCOMPARE(meta->child(0)->text(0), QStringLiteral("general.architecture"));
        QCOMPARE(meta->child(13)->text(0), QStringLiteral("tokenizer.ggml.tokens"));
        panel.clear();
        QCOMPARE(panel.tree()->topLevelItemCount(), 0);
    }

    void showsAPlainFile() {
        QString error;
        auto wf =
            openWeightFile(wstest::fixture(QStringLiteral("safetensors/mlp.safetensors")), &error);
        QVERIFY2(wf, qPrintable(error));
        FileInfoPanel panel;
        panel.setFile(*wf);
        QCOMPARE(panel.value(QStringLiteral("Format")), QStringLiteral("safetensors"));
        QCOMPARE(panel.value(QStringLiteral("Architecture")), QString());
    }

    // The tensor's panel names the encoding and says how values are decoded.
    void statsPanelDescribesTheEncoding() {
        QString error;
        auto wf =
            openWeightFile(wstest::fixture(QStringLiteral("quant/gguf/all_types.gguf")), &error);
        QVERIFY2(wf, qPrintable(error));
        StatsPanel stats;
        const TensorPtr q4k = wf->find(QStringLiteral("blk.1.ffn_down.weight"));
        stats.showError(*wf, q4k, QStringLiteral("(not computed)"));
        QCOMPARE(stats.value(QStringLiteral("dtype")), QStringLiteral("q4_K"));
        QVERIFY(stats.value(QStringLiteral("encoding"))
                    .contains(QLatin1String("256 values per 144-byte block, 4.5 bits per weight")));
        const TensorPtr f16 = wf->find(QStringLiteral("blk.0.attn_q.weight"));
        stats.showError(*wf, f16, QStringLiteral("(not computed)"));
        QCOMPARE(stats.value(QStringLiteral("dtype")), QStringLiteral("float16"));
        QCOMPARE(stats.value(QStringLiteral("encoding")), QStringLiteral("plain float16 values"));
        auto unknown = openWeightFile(
            wstest::fixture(QStringLiteral("quant/gguf/unknown_type_41.gguf")), &error);
        QVERIFY2(unknown, qPrintable(error));
        stats.showError(*unknown, unknown->find(QStringLiteral("blk.0.attn_k.weight")),
                        QStringLiteral("(not computed)"));
        QCOMPARE(stats.value(QStringLiteral("dtype")), QStringLiteral("q1_0"));
        QVERIFY(stats.value(QStringLiteral("encoding"))
                    .startsWith(QLatin1String("unsupported GGUF type 41")));
    }
};

QTEST_MAIN(TstFileInfoPanel)
#include "tst_fileinfopanel.moc"
