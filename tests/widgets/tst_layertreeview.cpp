// Layer tree model and view: structure, counts, linked storages, filtering,
// selection driving the tensor view, and QAbstractItemModelTester.
#include "HeatmapWidget.h"
#include "LayerTreeModel.h"
#include "LayerTreeView.h"
#include "StatsPanel.h"
#include "TensorView.h"
#include "widgets/MemoryWeightFile.h"

#include <QAbstractItemModelTester>
#include <QtTest>

using namespace ws;

namespace {

// Visible (proxy) rows under \a parent, depth first, as full paths.
void collect(const QAbstractItemModel* m, const QModelIndex& parent, QStringList* out) {
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        *out << i.data(LayerTreeModel::PathRole).toString();
        collect(m, i, out);
    }
}

} // namespace

class TestLayerTreeView : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void modelTester();
    void structureAndColumns();
    void linkedTensorsAreMarked();
    void filterNarrowsByName();
    void selectionShowsHeatmap();
    void statsPanelShowsStatistics();
    void damagedAndBracketedTensors();
};

void TestLayerTreeView::modelTester() {
    LayerTreeModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setWeightFile(wstest::smallModel());
    model.setWeightFile(nullptr);
    model.setWeightFile(wstest::smallModel());
    QSortFilterProxyModel proxy;
    proxy.setRecursiveFilteringEnabled(true);
    proxy.setFilterRole(LayerTreeModel::PathRole);
    proxy.setSourceModel(&model);
    QAbstractItemModelTester proxyTester(&proxy,
                                         QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setFilterFixedString(QStringLiteral("fc2"));
    proxy.setFilterFixedString(QString());
}

void TestLayerTreeView::structureAndColumns() {
    LayerTreeModel model;
    model.setWeightFile(wstest::smallModel());
    QCOMPARE(model.rowCount(), 1);
    const QModelIndex root = model.index(0, 0);
    QCOMPARE(root.data().toString(), QStringLiteral("small.pt"));
    // Every tensor of the file: 12 + 3 + 6 + 2 + 1; tied.weight is the same view of the
    // same storage as fc2.weight and, as in PyTorch's parameters(), counts once.
    QCOMPARE(model.index(0, LayerTreeModel::ParamsColumn).data().toString(), QStringLiteral("24"));
    // The scalar "step" sits on the root, then modules fc1, fc2, tied.
    QCOMPARE(model.rowCount(root), 4);
    const QModelIndex fc1 = model.index(1, 0, root);
    QCOMPARE(fc1.data().toString(), QStringLiteral("fc1"));
    QCOMPARE(model.index(1, LayerTreeModel::KindColumn, root).data().toString(),
             QStringLiteral("Linear — in 4 -> out 3"));
    QCOMPARE(model.index(1, LayerTreeModel::ParamsColumn, root).data().toString(),
             QStringLiteral("15"));
    QCOMPARE(model.rowCount(fc1), 2);
    QCOMPARE(model.index(0, 0, fc1).data().toString(), QStringLiteral("weight"));
    QCOMPARE(model.index(0, LayerTreeModel::ShapeColumn, fc1).data().toString(),
             QStringLiteral("[3, 4]"));
    QCOMPARE(model.index(0, LayerTreeModel::DTypeColumn, fc1).data().toString(),
             QStringLiteral("float32"));
    QCOMPARE(model.index(0, 0, fc1).data(LayerTreeModel::TensorIndexRole).toInt(), 0);
    QCOMPARE(model.index(1, 0, fc1).data(LayerTreeModel::TensorIndexRole).toInt(), 1);
    QCOMPARE(fc1.data(LayerTreeModel::TensorIndexRole).toInt(), -1);
    QCOMPARE(model.indexOfTensor(1), model.index(1, 0, fc1));
}

void TestLayerTreeView::linkedTensorsAreMarked() {
    LayerTreeModel model;
    model.setWeightFile(wstest::smallModel());
    const QModelIndex fc2w = model.indexOfTensor(2);
    const QModelIndex tied = model.indexOfTensor(4);
    QCOMPARE(fc2w.data(LayerTreeModel::LinkedRole).toStringList(),
             QStringList{QStringLiteral("tied.weight")});
    QCOMPARE(tied.data(LayerTreeModel::LinkedRole).toStringList(),
             QStringList{QStringLiteral("fc2.weight")});
    QVERIFY(fc2w.siblingAtColumn(LayerTreeModel::KindColumn)
                .data()
                .toString()
                .contains(QStringLiteral("linked")));
    QVERIFY(tied.data(Qt::ToolTipRole).toString().contains(QStringLiteral("fc2.weight")));
    QVERIFY(model.indexOfTensor(0)
                .siblingAtColumn(LayerTreeModel::KindColumn)
                .data()
                .toString()
                .isEmpty());
}

void TestLayerTreeView::filterNarrowsByName() {
    LayerTreeView view;
    view.setWeightFile(wstest::smallModel());
    QStringList all;
    collect(view.proxyModel(), {}, &all);
    QCOMPARE(all.size(), 10); // root, step, fc1 + 2, fc2 + 2, tied + 1
    view.setFilterText(QStringLiteral("FC2"));
    QStringList shown;
    collect(view.proxyModel(), {}, &shown);
    QCOMPARE(shown, (QStringList{QString(), QStringLiteral("fc2"), QStringLiteral("fc2.weight"),
                                 QStringLiteral("fc2.bias")}));
    view.setFilterText(QStringLiteral("bias"));
    shown.clear();
    collect(view.proxyModel(), {}, &shown);
    QCOMPARE(shown, (QStringList{QString(), QStringLiteral("fc1"), QStringLiteral("fc1.bias"),
                                 QStringLiteral("fc2"), QStringLiteral("fc2.bias")}));
    QVERIFY(!view.selectTensor(0)); // filtered out
    view.setFilterText(QString());
    shown.clear();
    collect(view.proxyModel(), {}, &shown);
    QCOMPARE(shown.size(), all.size());
}

void TestLayerTreeView::selectionShowsHeatmap() {
    auto file = wstest::smallModel();
    LayerTreeView tree;
    TensorView view;
    tree.setWeightFile(file);
    QObject::connect(&tree, &LayerTreeView::tensorSelected, &view,
                     [&](int i) { view.setTensor(file->tensors[size_t(i)]); });
    QSignalSpy spy(&tree, &LayerTreeView::tensorSelected);
    // Click the fc1.weight row as a user would.
    tree.resize(500, 400);
    tree.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tree));
    const QModelIndex row = tree.proxyModel()->mapFromSource(tree.model()->indexOfTensor(0));
    const QRect rect = tree.treeView()->visualRect(row);
    QVERIFY(rect.isValid());
    QTest::mouseClick(tree.treeView()->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 0);
    QCOMPARE(tree.currentTensor(), 0);
    QCOMPARE(view.currentWidget(), static_cast<QWidget*>(view.heatmap()));
    const QCPColorMapData* d = view.heatmap()->gridData();
    QCOMPARE(d->keySize(), 4);
    QCOMPARE(d->valueSize(), 3);
    for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 4; ++c)
            QCOMPARE(view.heatmap()->gridCell(c, r), 0.5 * (r * 4 + c) - 3.0);
    QCOMPARE(view.heatmap()->readoutAt(2, 3), QStringLiteral("row 2, column 3: 2.5"));
    // Selecting fc2.weight programmatically switches the view.
    QVERIFY(tree.selectTensor(2));
    QCOMPARE(spy.last().at(0).toInt(), 2);
    QCOMPARE(view.heatmap()->gridData()->keySize(), 3);
    QCOMPARE(view.heatmap()->gridCell(2, 1), -0.25);
}

void TestLayerTreeView::statsPanelShowsStatistics() {
    auto file = wstest::smallModel();
    StatsPanel panel;
    panel.setTensor(*file, file->tensors[1]); // [0.25, -1.5, 0.125]
    QCOMPARE(panel.value(QStringLiteral("shape")), QStringLiteral("[3]"));
    QCOMPARE(panel.value(QStringLiteral("dtype")), QStringLiteral("float32"));
    QCOMPARE(panel.value(QStringLiteral("elements")), QStringLiteral("3"));
    QCOMPARE(panel.value(QStringLiteral("min")), QStringLiteral("-1.5"));
    QCOMPARE(panel.value(QStringLiteral("max")), QStringLiteral("0.25"));
    // numpy: mean -0.375, std 0.79713027, norm 1.52581945
    QCOMPARE(panel.value(QStringLiteral("mean")), QStringLiteral("-0.375"));
    QCOMPARE(panel.value(QStringLiteral("std")), QStringLiteral("0.7971303"));
    QCOMPARE(panel.value(QStringLiteral("l2")), QStringLiteral("1.525819"));
    QCOMPARE(panel.value(QStringLiteral("linked")), QStringLiteral("none"));
    panel.setTensor(*file, file->tensors[4]);
    QCOMPARE(panel.value(QStringLiteral("linked")), QStringLiteral("fc2.weight"));
}

// A damaged tensor is listed with a warning and its reason, and the view shows the
// reason instead of a plot; bracketed keys are one node each.
void TestLayerTreeView::damagedAndBracketedTensors() {
    auto file = std::make_shared<WeightFile>();
    file->path = QStringLiteral("/tmp/damaged.pt");
    file->tensors.push_back(
        wstest::floatTensor(QStringLiteral("opt.state[3].exp_avg"), {2}, {1, 2}));
    auto bad = wstest::floatTensor(QStringLiteral("['a.b'].w"), {2}, {0, 0});
    bad->problem = QStringLiteral("record data/1 is truncated: it holds 5 bytes");
    file->tensors.push_back(bad);
    LayerTreeModel model;
    model.setWeightFile(file);
    QStringList paths;
    collect(&model, {}, &paths);
    QCOMPARE(paths, (QStringList{QString(), QStringLiteral("opt"), QStringLiteral("opt.state[3]"),
                                 QStringLiteral("opt.state[3].exp_avg"), QStringLiteral("['a.b']"),
                                 QStringLiteral("['a.b'].w")}));
    const QModelIndex name = model.indexOfTensor(1);
    QCOMPARE(name.data().toString(), QStringLiteral("w"));
    QVERIFY(name.data(Qt::ToolTipRole).toString().contains(bad->problem));
    QVERIFY(!name.data(Qt::DecorationRole).isNull());
    QCOMPARE(name.siblingAtColumn(LayerTreeModel::KindColumn).data().toString(),
             QStringLiteral("⚠ damaged"));
    QCOMPARE(model.indexOfTensor(0).data().toString(), QStringLiteral("exp_avg"));
    TensorView view;
    view.setTensor(bad);
    QVERIFY(view.message().contains(bad->problem));
}

QTEST_MAIN(TestLayerTreeView)
#include "tst_layertreeview.moc"
