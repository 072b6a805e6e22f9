// Layer tree: splitting names into modules, inferred kinds, pickled class
// names, parameter counts, and statistics/pooling/colour maps of the core.
#include "ColorMap.h"
#include "LayerTree.h"
#include "MatrixSource.h"
#include "Statistics.h"
#include "TestUtil.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <cmath>

using namespace ws;

namespace {

TensorPtr tensor(const QString& name, std::vector<int64_t> shape) {
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->setContiguousShape(std::move(shape));
    t->storage = Storage::fromBytes(QByteArray(int(std::max<int64_t>(t->numel(), 1) * 4), 0), name);
    return t;
}

} // namespace

class TestLayerTree : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void inferredKinds();
    void pickledClassesWin();
    void kerasPathsAndKernels();
    void statisticsMatchNumpy();
    void poolingKeepsOutliers();
    void poolingExactWhenSmall();
    void colorMaps();
    void bracketedNames();
};

// Keys in brackets stay one component; quoted keys may hold dots and brackets.
void TestLayerTree::bracketedNames() {
    const QChar dot = QLatin1Char('.');
    QCOMPARE(splitName(QStringLiteral("optimizer.state[3].exp_avg"), dot),
             (QStringList{"optimizer", "state[3]", "exp_avg"}));
    QCOMPARE(splitName(QStringLiteral("['a.b'].c"), dot), (QStringList{"['a.b']", "c"}));
    QCOMPARE(splitName(QStringLiteral("a['b.c']"), dot), (QStringList{"a['b.c']"}));
    QCOMPARE(splitName(QStringLiteral("['it\\'s.[x]'].y"), dot),
             (QStringList{"['it\\'s.[x]']", "y"}));
    QCOMPARE(splitName(QStringLiteral("[tensor#0].0"), dot), (QStringList{"[tensor#0]", "0"}));
    QCOMPARE(splitName(QStringLiteral("odd[.name"), dot), (QStringList{"odd[", "name"}));
    QCOMPARE(splitName(QStringLiteral("dense/kernel:0"), QLatin1Char('/')),
             (QStringList{"dense", "kernel:0"}));

    WeightFile f;
    for (const char* n : {"optimizer.state[0].exp_avg", "optimizer.state[0].step",
                          "optimizer.state[1].exp_avg", "['a.b'].c", "[7]"})
        f.tensors.push_back(tensor(QString::fromUtf8(n), {3}));
    const auto root = buildLayerTree(f);
    const LayerNode* opt = root->child(QStringLiteral("optimizer"));
    QVERIFY(opt);
    QCOMPARE(int(opt->children.size()), 2);
    QCOMPARE(opt->children[0]->name, QStringLiteral("state[0]"));
    QCOMPARE(opt->children[0]->path, QStringLiteral("optimizer.state[0]"));
    QCOMPARE(int(opt->children[0]->tensors.size()), 2);
    QVERIFY(root->child(QStringLiteral("['a.b']")));
    QCOMPARE(int(root->tensors.size()), 1); // [7] sits at the root
}

void TestLayerTree::inferredKinds() {
    WeightFile f;
    f.tensors = {tensor("encoder.layers.0.linear1.weight", {20, 10}),
                 tensor("encoder.layers.0.linear1.bias", {20}),
                 tensor("encoder.layers.0.norm.weight", {20}),
                 tensor("encoder.layers.0.norm.bias", {20}),
                 tensor("conv.weight", {16, 3, 3, 3}),
                 tensor("transformer.wte.weight", {50, 8}),
                 tensor("head.weight", {4, 8}),
                 tensor("attn.c_attn.weight", {8, 24}),
                 tensor("attn.c_attn.bias", {24}),
                 tensor("scale", {})};
    auto root = buildLayerTree(f);
    QCOMPARE(root->parameterCount, int64_t(200 + 20 + 20 + 20 + 432 + 400 + 32 + 192 + 24 + 1));
    QCOMPARE(root->child("attn")->child("c_attn")->kind, QStringLiteral("Conv1D"));
    QCOMPARE(root->child("attn")->child("c_attn")->detail, QStringLiteral("in 8 -> out 24"));
    const LayerNode* lin = root->child("encoder")->child("layers")->child("0")->child("linear1");
    QVERIFY(lin);
    QCOMPARE(lin->kind, QStringLiteral("Linear"));
    QCOMPARE(lin->detail, QStringLiteral("in 10 -> out 20"));
    QCOMPARE(lin->path, QStringLiteral("encoder.layers.0.linear1"));
    QCOMPARE(lin->parameterCount, int64_t(220));
    QCOMPARE(root->child("encoder")->child("layers")->child("0")->child("norm")->kind,
             QStringLiteral("Norm"));
    QCOMPARE(root->child("conv")->kind, QStringLiteral("Conv"));
    QCOMPARE(root->child("conv")->detail, QStringLiteral("3 -> 16, 3x3"));
    QCOMPARE(root->child("transformer")->child("wte")->kind, QStringLiteral("Embedding"));
    QCOMPARE(root->child("head")->kind, QStringLiteral("Linear"));
    QCOMPARE(root->tensors.size(), size_t(1)); // "scale" sits at the root
    auto flat = flattenLayers(*root);
    QCOMPARE(flat.front()->path, QString()); // root holds "scale"
    QStringList paths;
    for (auto* n : flat)
        paths << n->path;
    QVERIFY(paths.contains(QStringLiteral("encoder.layers.0.linear1")));
    QVERIFY(!paths.contains(QStringLiteral("encoder.layers")));
}

void TestLayerTree::pickledClassesWin() {
    WeightFile f;
    f.modules = {{QString(), QStringLiteral("Sequential"), QStringLiteral("torch.nn.Sequential")},
                 {QStringLiteral("0"), QStringLiteral("Linear"), QString()},
                 {QStringLiteral("1"), QStringLiteral("ReLU"), QString()},
                 {QStringLiteral("2"), QStringLiteral("Linear"), QString()}};
    f.tensors = {tensor("0.weight", {20, 10}), tensor("0.bias", {20}), tensor("2.weight", {2, 20})};
    auto root = buildLayerTree(f);
    QCOMPARE(root->kind, QStringLiteral("Sequential"));
    QCOMPARE(root->children.size(), size_t(3));
    QCOMPARE(root->children[1]->name, QStringLiteral("1"));
    QCOMPARE(root->children[1]->kind, QStringLiteral("ReLU"));
    QCOMPARE(root->children[1]->parameterCount, int64_t(0));
    QCOMPARE(root->children[0]->detail, QStringLiteral("in 10 -> out 20"));
    QCOMPARE(formatCount(124439808), QStringLiteral("124.4M"));
    // a tied copy (same storage, offset, shape, strides) counts once, a transposed view not
    auto tied = std::make_shared<Tensor>(*f.tensors[0]);
    tied->name = QStringLiteral("head.weight");
    f.tensors.push_back(tied);
    QCOMPARE(f.parameterCount(), int64_t(200 + 20 + 40));
    auto transposed = std::make_shared<Tensor>(*f.tensors[0]);
    transposed->name = QStringLiteral("head.weight_t");
    transposed->shape = {10, 20};
    transposed->strides = {1, 10};
    f.tensors.push_back(transposed);
    QCOMPARE(f.parameterCount(), int64_t(200 + 20 + 40 + 200));
}

void TestLayerTree::kerasPathsAndKernels() {
    WeightFile f;
    f.separator = QLatin1Char('/');
    f.tensors = {tensor("model_weights/dense/dense/kernel:0", {10, 20}),
                 tensor("model_weights/dense/dense/bias:0", {20}),
                 tensor("model_weights/conv/conv/kernel:0", {3, 3, 1, 8})};
    f.tensors[0]->inputMajor = true;
    f.tensors[2]->inputMajor = true;
    auto root = buildLayerTree(f);
    const LayerNode* dense = root->child("model_weights")->child("dense")->child("dense");
    QVERIFY(dense);
    QCOMPARE(dense->path, QStringLiteral("model_weights/dense/dense"));
    QCOMPARE(dense->kind, QStringLiteral("Dense"));
    QCOMPARE(dense->detail, QStringLiteral("in 10 -> out 20"));
    const LayerNode* conv = root->child("model_weights")->child("conv")->child("conv");
    QCOMPARE(conv->kind, QStringLiteral("Conv"));
    QCOMPARE(conv->detail, QStringLiteral("1 -> 8, 3x3"));
    // Keras 3: layers/<name>/vars/<i>, the kernel marked input-major
    WeightFile k3;
    k3.separator = QLatin1Char('/');
    k3.tensors = {tensor("layers/dense/vars/0", {4, 3}), tensor("layers/dense/vars/1", {3})};
    k3.tensors[0]->inputMajor = true;
    auto root3 = buildLayerTree(k3);
    const LayerNode* vars = root3->child("layers")->child("dense")->child("vars");
    QCOMPARE(vars->kind, QStringLiteral("Dense"));
    QCOMPARE(vars->detail, QStringLiteral("in 4 -> out 3"));
}

void TestLayerTree::statisticsMatchNumpy() {
    wstest::Npy m;
    QVERIFY(wstest::readNpy(wstest::fixture("core/stats_matrix.npy"), &m));
    QFile jf(wstest::fixture("core/stats_matrix.json"));
    QVERIFY(jf.open(QIODevice::ReadOnly));
    const QJsonObject e = QJsonDocument::fromJson(jf.readAll()).object();
    auto t = std::make_shared<Tensor>();
    t->name = QStringLiteral("m");
    std::vector<float> f(m.values.begin(), m.values.end());
    t->storage =
        Storage::fromBytes(QByteArray(reinterpret_cast<const char*>(f.data()), int(f.size() * 4)),
                           QStringLiteral("m"));
    t->setContiguousShape(m.shape);
    TensorStats s;
    QString err;
    QVERIFY(computeStats(*t, &s, &err));
    QCOMPARE(s.count, int64_t(37 * 23));
    QCOMPARE(s.min, e["min"].toDouble());
    QCOMPARE(s.max, e["max"].toDouble());
    QVERIFY(std::abs(s.mean - e["mean"].toDouble()) < 1e-12);
    QVERIFY(std::abs(s.std - e["std"].toDouble()) < 1e-12);
    QVERIFY(std::abs(s.l2 - e["l2"].toDouble()) < 1e-9);
    QCOMPARE(s.zeroFraction, e["zero_fraction"].toDouble());
}

void TestLayerTree::poolingKeepsOutliers() {
    MatrixF m = MatrixF::Constant(3000, 2000, 0.01f);
    m(1234, 567) = -1000.0f;
    m(10, 1999) = 500.0f;
    PooledGrid g = poolMaxMagnitude(m, 0, 0, 3000, 2000, 800, 600);
    QCOMPARE(g.values.rows(), 800);
    QCOMPARE(g.values.cols(), 600);
    QVERIFY(!g.exact);
    QCOMPARE(g.values.minCoeff(), -1000.0f);
    QCOMPARE(g.values.maxCoeff(), 500.0f);
    // The outlier's cell is where its row and column fall.
    QCOMPARE(g.values(int(1234 * 800 / 3000), int(567 * 600 / 2000)), -1000.0f);
    m(5, 5) = std::nanf("");
    g = poolMaxMagnitude(m, 0, 0, 3000, 2000, 100, 100);
    QVERIFY(std::isnan(g.values(0, 0)));
}

void TestLayerTree::poolingExactWhenSmall() {
    MatrixF m(4, 5);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 5; ++c)
            m(r, c) = float(r * 10 + c);
    PooledGrid g = poolMaxMagnitude(m, 1, 2, 10, 10, 100, 100); // clipped to 3 x 3
    QVERIFY(g.exact);
    QCOMPARE(g.rowCount, int64_t(3));
    QCOMPARE(g.colCount, int64_t(3));
    QCOMPARE(g.values(0, 0), 12.0f);
    QCOMPARE(g.values(2, 2), 34.0f);
}

void TestLayerTree::colorMaps() {
    ColorMap cm;
    QVERIFY(ColorMap::byName(QStringLiteral("viridis"), &cm));
    // matplotlib: viridis(0) = (0.267004, 0.004874, 0.329415), viridis(1) = (0.993248, 0.906157,
    // 0.143936), which it draws as viridis(x, bytes=True): (68, 1, 84) and (253, 231, 36).
    QCOMPARE(QColor(cm.colorAt(0)), QColor(68, 1, 84));
    QCOMPARE(QColor(cm.colorAt(1)), QColor(253, 231, 36));
    QVERIFY(ColorMap::byName(QStringLiteral("RdBu_r"), &cm));
    QVERIFY(cm.isDiverging());
    QCOMPARE(QColor(cm.colorAt(0)), QColor(5, 48, 97)); // RdBu's last colour, reversed
    QVERIFY(!ColorMap::byName(QStringLiteral("nope"), &cm));
    QCOMPARE(ColorMap::defaultFor(-1, 2), QStringLiteral("RdBu_r"));
    QCOMPARE(ColorMap::defaultFor(0, 2), QStringLiteral("viridis"));
    auto r = defaultRange(-0.5, 2);
    QCOMPARE(r.first, -2.0);
    QCOMPARE(r.second, 2.0);
}

QTEST_APPLESS_MAIN(TestLayerTree)
#include "tst_layertree.moc"
