// The layer tree model on a quantized checkpoint: the logical weight shows its
// encoding as its type and holds the stored tensors it is decoded from as child
// rows marked "packed" (not "linked", though it names the main one's storage);
// QAbstractItemModelTester on the model and a filtering proxy.
#include "FormatRegistry.h"
#include "LayerTreeModel.h"

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QtTest>

using namespace ws;

class TstPackedRows : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void packedRowsUnderTheLogicalWeight() {
        QString err;
        std::shared_ptr<const WeightFile> file =
            openWeightFile(qEnvironmentVariable("WS_FIXTURES") +
                               "/quant/safetensors/gptq_4bit_g32/model.safetensors",
                           &err);
        QVERIFY2(file, qPrintable(err));
        LayerTreeModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setWeightFile(file);
        const QString l = QStringLiteral("model.layers.0.self_attn.q_proj");
        const QModelIndex weight = model.indexOfTensor(file->indexOf(l + ".weight"));
        QVERIFY(weight.isValid());
        QCOMPARE(weight.data().toString(), QStringLiteral("weight"));
        QCOMPARE(weight.siblingAtColumn(LayerTreeModel::DTypeColumn).data().toString(),
                 QStringLiteral("gptq int4 (g32)"));
        QCOMPARE(weight.siblingAtColumn(LayerTreeModel::ShapeColumn).data().toString(),
                 QStringLiteral("[48, 64]"));
        QCOMPARE(weight.siblingAtColumn(LayerTreeModel::KindColumn).data().toString(), QString());
        QCOMPARE(model.rowCount(weight), 4);
        QStringList children;
        for (int r = 0; r < 4; ++r) {
            const QModelIndex c = model.index(r, 0, weight);
            children << c.data(LayerTreeModel::PathRole).toString();
            QCOMPARE(c.siblingAtColumn(LayerTreeModel::KindColumn).data().toString(),
                     QStringLiteral("packed"));
            QCOMPARE(model.parent(c), weight);
        }
        QCOMPARE(children,
                 (QStringList{l + ".qweight", l + ".qzeros", l + ".scales", l + ".g_idx"}));
        const QModelIndex qweight = model.indexOfTensor(file->indexOf(l + ".qweight"));
        QCOMPARE(qweight.siblingAtColumn(LayerTreeModel::DTypeColumn).data().toString(),
                 QStringLiteral("int32"));
        QVERIFY(qweight.data(LayerTreeModel::LinkedRole).toStringList().isEmpty());
        // The module: bias and the logical weight; 48 x 64 + 48 parameters.
        const QModelIndex layer = model.parent(weight);
        QCOMPARE(model.rowCount(layer), 2);
        QCOMPARE(layer.siblingAtColumn(LayerTreeModel::ParamsColumn).data().toString(),
                 QStringLiteral("3120"));

        QSortFilterProxyModel proxy;
        proxy.setRecursiveFilteringEnabled(true);
        proxy.setFilterRole(LayerTreeModel::PathRole);
        proxy.setSourceModel(&model);
        QAbstractItemModelTester proxyTester(
            &proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setFilterFixedString(QStringLiteral("qzeros"));
        QModelIndex i = proxy.index(0, 0);
        while (proxy.rowCount(i) > 0)
            i = proxy.index(0, 0, i);
        QCOMPARE(i.data(LayerTreeModel::PathRole).toString(), l + ".qzeros");
        model.setWeightFile(nullptr);
    }
};

QTEST_MAIN(TstPackedRows)
#include "tst_packedrows.moc"
