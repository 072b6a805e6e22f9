// The layer tree and parameter counts with a tensor computed from others (an encoded
// tensor whose sources() name stored tensors of the file), independent of any format:
// the stored ones sit under it, are counted once (as it), and storedOnly() drops it.
#include "LayerTree.h"
#include "WeightFile.h"

#include <QtTest>

using namespace ws;

namespace {

/// A stand-in for a quantized layer's encoding: decodes nothing, names its sources.
class SourcesEncoding : public TensorEncoding {
public:
    explicit SourcesEncoding(QStringList sources) : m_sources(std::move(sources)) {}
    QString typeName() const override { return QStringLiteral("test int4"); }
    QString description() const override { return QString(); }
    QString validate(const Tensor&) const override { return QString(); }
    bool decode(const Tensor&, int64_t, int64_t, float*, QString*) const override { return false; }
    QStringList sources() const override { return m_sources; }

private:
    QStringList m_sources;
};

TensorPtr stored(const QString& name, std::vector<int64_t> shape) {
    auto t = std::make_shared<Tensor>();
    t->name = name;
    t->setContiguousShape(std::move(shape));
    t->storage = Storage::fromBytes(QByteArray(qsizetype(t->numel() * 4), '\0'), name);
    return t;
}

} // namespace

class TstLayerTreePacked : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sourcesSitUnderTheDerivedTensor() {
        WeightFile f;
        f.tensors = {stored("enc.layer.qweight", {2, 6}), stored("enc.layer.scales", {1, 6}),
                     stored("enc.layer.bias", {6}), stored("enc.norm.weight", {6})};
        auto w = std::make_shared<Tensor>();
        w->name = QStringLiteral("enc.layer.weight");
        w->setContiguousShape({6, 16});
        w->storage = f.tensors[0]->storage;
        w->encoding =
            std::make_shared<SourcesEncoding>(QStringList{"enc.layer.qweight", "enc.layer.scales"});
        w->derived = true;
        f.tensors.push_back(w);

        auto root = buildLayerTree(f);
        const LayerNode* layer = root->child("enc")->child("layer");
        QVERIFY(layer);
        QCOMPARE(layer->tensors, (std::vector<int>{2, 4})); // bias, weight
        QCOMPARE(layer->packed.size(), size_t(1));
        QCOMPARE(layer->packed.at(4), (std::vector<int>{0, 1}));
        QCOMPARE(layer->kind, QStringLiteral("Linear"));
        QCOMPARE(layer->detail, QStringLiteral("in 16 -> out 6"));
        QCOMPARE(layer->parameterCount, int64_t(6 * 16 + 6));
        QCOMPARE(root->parameterCount, int64_t(6 * 16 + 6 + 6));
        QCOMPARE(f.parameterCount(), int64_t(6 * 16 + 6 + 6));

        const WeightFile saved = f.storedOnly();
        QCOMPARE(saved.tensors.size(), size_t(4));
        for (const TensorPtr& t : saved.tensors)
            QVERIFY(!t->derived);
        QCOMPARE(f.tensors.size(), size_t(5)); // the original keeps it
    }

    // A source that is missing from the file, or a tensor that names itself, changes
    // nothing.
    void missingSourcesAreIgnored() {
        WeightFile f;
        f.tensors = {stored("a.weight", {2, 2})};
        f.tensors[0]->encoding =
            std::make_shared<SourcesEncoding>(QStringList{"a.weight", "a.nothere"});
        auto root = buildLayerTree(f);
        QCOMPARE(root->child("a")->tensors, (std::vector<int>{0}));
        QVERIFY(root->child("a")->packed.empty());
        QCOMPARE(f.parameterCount(), int64_t(4));
    }
};

QTEST_GUILESS_MAIN(TstLayerTreePacked)
#include "tst_layertreepacked.moc"
