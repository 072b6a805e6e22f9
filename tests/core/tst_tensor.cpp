// Strided views, validation against the storage, and value extraction.
#include "Tensor.h"
#include "TestUtil.h"

using namespace ws;

namespace {

TensorPtr makeFloatTensor(const std::vector<float>& data, std::vector<int64_t> shape) {
    auto t = std::make_shared<Tensor>();
    t->name = QStringLiteral("t");
    t->dtype = DType::Float32;
    t->storage = Storage::fromBytes(
        QByteArray(reinterpret_cast<const char*>(data.data()), int(data.size() * 4)),
        QStringLiteral("s"));
    t->setContiguousShape(std::move(shape));
    return t;
}

} // namespace

class TestTensor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void contiguousValues();
    void transposedView();
    void offsetSlice();
    void scalarAndVector();
    void validateRejectsOutOfRange();
    void lazyFileRange();
};

void TestTensor::contiguousValues() {
    auto t = makeFloatTensor({1, 2, 3, 4, 5, 6}, {2, 3});
    MatrixF m;
    QString err;
    QVERIFY(t->values(&m, &err));
    QCOMPARE(m.rows(), 2);
    QCOMPARE(m.cols(), 3);
    QCOMPARE(m(1, 0), 4.0f);
    QVERIFY(t->isContiguous());
    QCOMPARE(t->shapeString(), QStringLiteral("[2, 3]"));
}

void TestTensor::transposedView() {
    // base 3x4 = 0..11; its transpose is size (4,3) stride (1,4)
    std::vector<float> d(12);
    for (int i = 0; i < 12; ++i)
        d[size_t(i)] = float(i);
    auto t = makeFloatTensor(d, {3, 4});
    t->shape = {4, 3};
    t->strides = {1, 4};
    QVERIFY(!t->isContiguous());
    QVERIFY(t->validate().isEmpty());
    MatrixF m;
    QString err;
    QVERIFY(t->values(&m, &err));
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 3; ++c)
            QCOMPARE(m(r, c), float(c * 4 + r));
}

void TestTensor::offsetSlice() {
    // base[1:, 1:3] of a 3x4: offset 5, stride (4, 1), size (2, 2)
    std::vector<float> d(12);
    for (int i = 0; i < 12; ++i)
        d[size_t(i)] = float(i);
    auto t = makeFloatTensor(d, {3, 4});
    t->shape = {2, 2};
    t->strides = {4, 1};
    t->storageOffset = 5;
    MatrixF m;
    QString err;
    QVERIFY(t->values(&m, &err));
    QCOMPARE(m(0, 0), 5.0f);
    QCOMPARE(m(0, 1), 6.0f);
    QCOMPARE(m(1, 0), 9.0f);
    QCOMPARE(m(1, 1), 10.0f);
    std::vector<double> v;
    QVERIFY(t->valuesDouble(&v, &err));
    QCOMPARE(v, (std::vector<double>{5, 6, 9, 10}));
}

void TestTensor::scalarAndVector() {
    auto s = makeFloatTensor({2.5f}, {});
    QCOMPARE(s->numel(), 1);
    QCOMPARE(s->rows(), 1);
    QCOMPARE(s->cols(), 1);
    QVERIFY(s->validate().isEmpty());
    QString err;
    QVERIFY(s->check(&err));
    QCOMPARE(s->at(0), 2.5);
    auto v = makeFloatTensor({1, 2, 3}, {3});
    QCOMPARE(v->rows(), 1);
    QCOMPARE(v->cols(), 3);
    auto n = makeFloatTensor(std::vector<float>(24, 0), {2, 3, 4});
    QCOMPARE(n->rows(), 2);
    QCOMPARE(n->cols(), 12);
}

void TestTensor::validateRejectsOutOfRange() {
    auto t = makeFloatTensor({1, 2, 3, 4}, {2, 2});
    t->shape = {2, 3};
    t->strides = {3, 1};
    QVERIFY(!t->validate().isEmpty());
    t->setContiguousShape({2, 2});
    t->storageOffset = 1;
    QVERIFY(t->validate().contains(QStringLiteral("past the storage")));
    t->storageOffset = 0;
    t->shape = {int64_t(1) << 40, int64_t(1) << 40};
    t->strides = {1, 1};
    QVERIFY(!t->validate().isEmpty());
    t->shape = {2, -1};
    QVERIFY(!t->validate().isEmpty());
    MatrixF m;
    QString err;
    QVERIFY(!t->values(&m, &err));
    QVERIFY(!err.isEmpty());
}

void TestTensor::lazyFileRange() {
    QTemporaryFile f;
    QVERIFY(f.open());
    const float vals[3] = {7, 8, 9};
    f.write("HEADER");
    f.write(reinterpret_cast<const char*>(vals), 12);
    f.flush();
    auto t = std::make_shared<Tensor>();
    t->name = QStringLiteral("x");
    t->storage = Storage::fromFileRange(f.fileName(), 6, 12, QStringLiteral("data/0"));
    t->setContiguousShape({3});
    QVERIFY(!t->storage->isLoaded());
    MatrixF m;
    QString err;
    QVERIFY(t->values(&m, &err));
    QVERIFY(!t->storage->isLoaded()); // read straight into the matrix, no second copy
    QCOMPARE(m(0, 2), 9.0f);
    QVERIFY(t->check(&err));
    QVERIFY(!t->storage->isLoaded()); // a file range is read by range, never whole
    QCOMPARE(t->at(1), 8.0);
    // A range past the end of the file is refused before allocating it.
    auto bad = Storage::fromFileRange(f.fileName(), 6, int64_t(1) << 50, QStringLiteral("data/1"));
    QVERIFY(!bad->check(&err));
    QVERIFY(err.contains(f.fileName()));
    QVERIFY(err.contains(QStringLiteral("data/1")));
}

QTEST_APPLESS_MAIN(TestTensor)
#include "tst_tensor.moc"
