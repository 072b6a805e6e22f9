// Opening weight files by URL through the registry, against nginx on the loopback:
// the same tensors and bytes as the local file (safetensors, sharded safetensors,
// .npy), only headers fetched to list a model and little more than one tensor to
// paint it, read-only documents, and hostile or failing servers as clear errors. GGUF
// too: its header read a window at a time, its blocks as ranges.
#include "Document.h"
#include "FormatRegistry.h"
#include "HttpByteSource.h"
#include "HttpTestServer.h"
#include "MatrixSource.h"
#include "RemoteFixtures.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cmath>
#include <cstring>

using namespace ws;
using namespace wstest;

namespace {

// Same names, shapes, dtypes and bytes.
void compareFiles(const WeightFile& local, const WeightFile& remote) {
    QCOMPARE(remote.tensors.size(), local.tensors.size());
    QCOMPARE(remote.formatName, local.formatName);
    QCOMPARE(remote.metadata, local.metadata);
    for (size_t i = 0; i < local.tensors.size(); ++i) {
        const Tensor& a = *local.tensors[i];
        const Tensor& b = *remote.tensors[i];
        QCOMPARE(b.name, a.name);
        QCOMPARE(b.shape, a.shape);
        QCOMPARE(b.strides, a.strides);
        QCOMPARE(int(b.dtype), int(a.dtype));
        QCOMPARE(b.problem, a.problem);
        if (!a.problem.isEmpty()) continue; // listed with its reason on both sides
        QByteArray x, y;
        QString error;
        QVERIFY2(a.storage->readAll(&x, &error), qPrintable(error));
        QVERIFY2(b.storage->readAll(&y, &error), qPrintable(error));
        QCOMPARE(y, x);
        if (a.encoding) { // quantized blocks decode to the same values
            QVERIFY(b.encoding);
            QCOMPARE(b.encoding->typeName(), a.encoding->typeName());
            std::vector<float> u(size_t(a.numel())), v(u.size());
            QVERIFY2(a.readFloats(0, a.numel(), u.data(), &error), qPrintable(error));
            QVERIFY2(b.readFloats(0, b.numel(), v.data(), &error), qPrintable(error));
            QVERIFY(std::memcmp(u.data(), v.data(), u.size() * sizeof(float)) == 0);
        }
    }
}

} // namespace

class TestRemoteOpen : public QObject {
    Q_OBJECT
    QTemporaryDir m_root, m_cache;
    std::unique_ptr<HttpTestServer> m_server;

    QString url(const QString& rel) const { return m_server->url("files", rel); }

private Q_SLOTS:
    void initTestCase() {
        qputenv("WS_HTTP_CACHE_DIR", m_cache.path().toUtf8());
        qputenv("WS_HTTP_RETRIES", "1");
        qunsetenv("WS_HTTP_TOKEN");
        const QString st = fixture("safetensors/");
        QVERIFY(copyInto(st + "mlp.safetensors", m_root.filePath("mlp.safetensors")));
        for (const char* f : {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                              "model-00002-of-00002.safetensors"})
            QVERIFY(copyInto(st + "sharded/" + f, m_root.filePath(QStringLiteral("sharded/") + f)));
        for (const char* f : {"model.safetensors.index.json", "model-00001-of-00002.safetensors"})
            QVERIFY(copyInto(st + "missing_shard/" + f,
                             m_root.filePath(QStringLiteral("missing_shard/") + f)));
        for (const char* f : {"dtype_f4.npy", "be_f8.npy", "fortran_be_i2.npy", "scalar.npy"})
            QVERIFY(copyInto(fixture(QStringLiteral("numpy/") + f),
                             m_root.filePath(QStringLiteral("npy/") + f)));
        for (const char* f : {"stored.npz", "compressed.npz", "descriptor.npz"})
            QVERIFY(copyInto(fixture(QStringLiteral("numpy/") + f),
                             m_root.filePath(QStringLiteral("npy/") + f)));
        for (const char* f :
             {"dtypes.pt", "deflated.pt", "views_shared.pt", "legacy.pt", "whole_module.pt"})
            QVERIFY(copyInto(fixture(QStringLiteral("pytorch/") + f),
                             m_root.filePath(QStringLiteral("pt/") + f)));
        for (const char* f : {"all_types.gguf", "v2.gguf", "unknown_type_41.gguf"})
            QVERIFY(copyInto(fixture(QStringLiteral("quant/gguf/") + f),
                             m_root.filePath(QStringLiteral("gguf/") + f)));
        QVERIFY(
            copyInto(fixture("pytorch/mlp_state_dict.pt"), m_root.filePath("mlp_state_dict.pt")));
        // A 100 MB sharded model: two 50 MB shards of 8 MB layers and a 1 MB tensor.
        QDir().mkpath(m_root.filePath("big"));
        QVERIFY(writeSafetensors(m_root.filePath("big/a.safetensors"), {{"embed", {512, 512}},
                                                                        {"layer0", {2048, 1024}},
                                                                        {"layer1", {2048, 1024}},
                                                                        {"layer2", {2048, 1024}},
                                                                        {"layer3", {2048, 1024}},
                                                                        {"layer4", {2048, 1024}},
                                                                        {"layer5", {2048, 1024}}}));
        QVERIFY(
            writeSafetensors(m_root.filePath("big/b.safetensors"), {{"layer6", {2048, 1024}},
                                                                    {"layer7", {2048, 1024}},
                                                                    {"layer8", {2048, 1024}},
                                                                    {"layer9", {2048, 1024}},
                                                                    {"layer10", {2048, 1024}},
                                                                    {"layer11", {2048, 1024}}}));
        QJsonObject map;
        for (const char* t : {"embed", "layer0", "layer1", "layer2", "layer3", "layer4", "layer5"})
            map.insert(t, "a.safetensors");
        for (const char* t : {"layer6", "layer7", "layer8", "layer9", "layer10", "layer11"})
            map.insert(t, "b.safetensors");
        QFile index(m_root.filePath("big/model.safetensors.index.json"));
        QVERIFY(index.open(QIODevice::WriteOnly));
        index.write(QJsonDocument(QJsonObject{{"weight_map", map}}).toJson());
        index.close();
        m_server = std::make_unique<HttpTestServer>(m_root.path());
        QVERIFY2(m_server->ok(), qPrintable(m_server->error()));
    }

    void sameAsLocalFile_data() {
        QTest::addColumn<QString>("rel");
        QTest::newRow("safetensors") << "mlp.safetensors";
        QTest::newRow("sharded") << "sharded/model.safetensors.index.json";
        QTest::newRow("npy f4") << "npy/dtype_f4.npy";
        QTest::newRow("npy big-endian") << "npy/be_f8.npy";
        QTest::newRow("npy fortran") << "npy/fortran_be_i2.npy";
        QTest::newRow("npy scalar") << "npy/scalar.npy";
        QTest::newRow("npz stored") << "npy/stored.npz";
        QTest::newRow("npz deflated") << "npy/compressed.npz";
        QTest::newRow("npz data descriptor") << "npy/descriptor.npz";
        QTest::newRow("pytorch zip") << "mlp_state_dict.pt";
        QTest::newRow("pytorch dtypes") << "pt/dtypes.pt";
        QTest::newRow("pytorch deflated") << "pt/deflated.pt";
        QTest::newRow("pytorch shared views") << "pt/views_shared.pt";
        QTest::newRow("pytorch whole module") << "pt/whole_module.pt";
        QTest::newRow("gguf every type") << "gguf/all_types.gguf";
        QTest::newRow("gguf v2") << "gguf/v2.gguf";
        QTest::newRow("gguf unknown type") << "gguf/unknown_type_41.gguf";
    }
    void sameAsLocalFile() {
        QFETCH(QString, rel);
        QString error;
        auto local = openWeightFile(m_root.filePath(rel), &error);
        QVERIFY2(local, qPrintable(error));
        auto remote = openWeightFile(url(rel), &error);
        QVERIFY2(remote, qPrintable(error));
        QCOMPARE(remote->path, url(rel));
        QCOMPARE(remote->formatId, local->formatId);
        compareFiles(*local, *remote);
    }

    void listingAndPaintingFetchLittle() {
        const QString rel = "big/model.safetensors.index.json";
        const qint64 modelSize = QFileInfo(m_root.filePath("big/a.safetensors")).size() +
                                 QFileInfo(m_root.filePath("big/b.safetensors")).size();
        QVERIFY(modelSize > 100000000);
        m_server->clearLog();
        const qint64 before = httpTotals().bytesFetched.load();
        QString error;
        auto file = openWeightFile(url(rel), &error);
        QVERIFY2(file, qPrintable(error));
        QCOMPARE(file->tensors.size(), size_t(13));
        // Listing: the index and one 64 KB block of each shard (its header).
        const qint64 listed = httpTotals().bytesFetched.load() - before;
        const qint64 listedLog = m_server->bytesSent("/files/big/", listed);
        qInfo("listing a %lld-byte sharded model: %lld bytes fetched, %lld sent by nginx",
              modelSize, listed, listedLog);
        QVERIFY(listed <= 3 * 64 * 1024);
        QVERIFY(listedLog < 3 * 64 * 1024 + 3 * 1024); // plus response headers
        QCOMPARE(m_server->served("/files/big/", 3).size(), 3);

        // Painting "embed" (1 MB): its range and the pooled overview, as the heatmap does.
        const TensorPtr embed = file->find("embed");
        QVERIFY(embed);
        auto source = tensorSource(embed);
        double lo = 0, hi = 0;
        QVERIFY2(source->finiteMinMax(&lo, &hi, &error), qPrintable(error));
        PooledGrid grid;
        QVERIFY2(source->pool(0, 0, source->rows(), source->cols(), 256, 256, &grid, &error),
                 qPrintable(error));
        const qint64 painted = httpTotals().bytesFetched.load() - before - listed;
        const qint64 paintedLog =
            m_server->bytesSent("/files/big/", listedLog + painted) - listedLog;
        qInfo("painting a 1 MB tensor: %lld bytes fetched, %lld sent by nginx", painted,
              paintedLog);
        QVERIFY(painted <= (1 << 20) + 64 * 1024);
        QVERIFY(paintedLog < (1 << 20) + 80 * 1024);
        QVERIFY(listedLog + paintedLog < modelSize / 50);
        // The values are the file's.
        auto local = openWeightFile(m_root.filePath(rel), &error);
        QVERIFY(local);
        auto localSource = tensorSource(local->find("embed"));
        double localLo = 0, localHi = 0;
        QVERIFY(localSource->finiteMinMax(&localLo, &localHi, &error));
        QCOMPARE(lo, localLo);
        QCOMPARE(hi, localHi);
        PooledGrid localGrid;
        QVERIFY(localSource->pool(0, 0, localSource->rows(), localSource->cols(), 256, 256,
                                  &localGrid, &error));
        QVERIFY(grid.values.size() > 0 && grid.values == localGrid.values);
        QByteArray x, y;
        QVERIFY(local->find("embed")->storage->readAll(&x, &error));
        QVERIFY(embed->storage->readAll(&y, &error));
        QCOMPARE(y, x);
    }

    // A 50 MB PyTorch zip checkpoint (written by our writer from the safetensors shard):
    // listing reads the central directory, data.pkl and one block per record's local
    // header; a tensor's values are its own range.
    void pytorchCheckpointListsFromItsDirectory() {
        QString error;
        {
            auto st = openWeightFile(m_root.filePath("big/a.safetensors"), &error);
            QVERIFY2(st, qPrintable(error));
            Document doc(std::move(st));
            QVERIFY2(doc.save(m_root.filePath("big/a.pt"), &error, formatById("pytorch")),
                     qPrintable(error));
        }
        const qint64 size = QFileInfo(m_root.filePath("big/a.pt")).size();
        QVERIFY(size > 50000000);
        const qint64 before = httpTotals().bytesFetched.load();
        auto file = openWeightFile(url("big/a.pt"), &error);
        QVERIFY2(file, qPrintable(error));
        QCOMPARE(file->formatId, QStringLiteral("pytorch"));
        QCOMPARE(file->tensors.size(), size_t(7));
        const qint64 listed = httpTotals().bytesFetched.load() - before;
        qInfo("listing a %lld-byte PyTorch checkpoint: %lld bytes fetched", size, listed);
        QVERIFY2(listed <= 12 * 64 * 1024, qPrintable(QString::number(listed)));
        const TensorPtr layer = file->find("layer3");
        QVERIFY(layer);
        auto local = openWeightFile(m_root.filePath("big/a.safetensors"), &error);
        QVERIFY(local);
        std::vector<float> got(size_t(layer->numel())), want(got.size());
        QVERIFY2(layer->readFloats(0, layer->numel(), got.data(), &error), qPrintable(error));
        QVERIFY(local->find("layer3")->readFloats(0, layer->numel(), want.data(), &error));
        QVERIFY(got == want);
        const qint64 read = httpTotals().bytesFetched.load() - before - listed;
        QVERIFY2(read <= 8 * 1024 * 1024 + 2 * 64 * 1024, qPrintable(QString::number(read)));
    }

    void redirectedUrlOpens() {
        QString error;
        auto remote = openWeightFile(m_server->url("redirect", "mlp.safetensors"), &error);
        QVERIFY2(remote, qPrintable(error));
        auto local = openWeightFile(m_root.filePath("mlp.safetensors"), &error);
        compareFiles(*local, *remote);
    }

    void failingServersAreClearErrors_data() {
        QTest::addColumn<QString>("location");
        QTest::addColumn<QString>("rel");
        QTest::addColumn<QString>("expected");
        QTest::newRow("ignores range") << "norange"
                                       << "mlp.safetensors"
                                       << "does not support range requests";
        QTest::newRow("missing file") << "files"
                                      << "nothing.safetensors"
                                      << "HTTP 404";
        QTest::newRow("missing shard") << "files"
                                       << "missing_shard/model.safetensors.index.json"
                                       << "model-00002-of-00002.safetensors: HTTP 404";
        QTest::newRow("server error") << "broken"
                                      << "mlp.safetensors"
                                      << "HTTP 503";
        QTest::newRow("legacy pytorch by url") << "files"
                                               << "pt/legacy.pt"
                                               << "only zip checkpoints";
    }
    void failingServersAreClearErrors() {
        QFETCH(QString, location);
        QFETCH(QString, rel);
        QFETCH(QString, expected);
        QString error;
        const QString u = m_server->url(location, rel);
        QVERIFY(!openWeightFile(u, &error));
        QVERIFY2(error.contains(m_server->url(location, "")) && error.contains(expected),
                 qPrintable(error));
    }

    void slowServerTimesOut() {
        qputenv("WS_HTTP_TIMEOUT_MS", "500");
        QString error;
        const QString u = m_server->url("slow", "big/a.safetensors");
        auto file = openWeightFile(u, &error);
        qunsetenv("WS_HTTP_TIMEOUT_MS");
        QVERIFY(!file);
        QVERIFY2(error.contains(u) && error.contains("timed out"), qPrintable(error));
    }

    void lyingSizesAreRefusedBeforeAllocating_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        // A header length of 90 MB in a file of a few hundred bytes.
        QByteArray longHeader("\x00\x80\x5d\x05\x00\x00\x00\x00{\"a\":1}", 15);
        QTest::newRow("header length") << longHeader << "is larger than the";
        // A tensor whose data_offsets run past the end of the file.
        const QByteArray json =
            R"({"w":{"dtype":"F32","shape":[1000000,1000],"data_offsets":[0,4000000000]}})";
        QByteArray tensor(8, 0);
        tensor[0] = char(json.size());
        tensor += json + QByteArray(64, 0);
        QTest::newRow("tensor size") << tensor << "4000000000";
        // A .npy whose shape needs 8 TB.
        QByteArray npyHeader = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, "
                               "1000000), }";
        while ((10 + npyHeader.size() + 1) % 64)
            npyHeader += ' ';
        npyHeader += '\n';
        QByteArray npy("\x93NUMPY\x01\x00", 8);
        npy += char(npyHeader.size() & 0xff);
        npy += char(npyHeader.size() >> 8);
        npy += npyHeader + QByteArray(16, 0);
        QTest::newRow("npy shape") << npy << "need 8000000000000 bytes";
        // A GGUF whose tensor needs more bytes than the file holds.
        QFile gguf(fixture("quant/gguf/hostile/data_truncated.gguf"));
        QVERIFY(gguf.open(QIODevice::ReadOnly));
        QTest::newRow("gguf tensor size") << gguf.readAll() << "needs 16384 bytes";
    }
    void lyingSizesAreRefusedBeforeAllocating() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        const QString rel = QStringLiteral("lying/%1.%2")
                                .arg(QTest::currentDataTag())
                                .arg(bytes.startsWith("\x93NUMPY") ? "npy"
                                     : bytes.startsWith("GGUF")    ? "gguf"
                                                                   : "safetensors")
                                .replace(' ', '_');
        QDir().mkpath(m_root.filePath("lying"));
        QFile f(m_root.filePath(rel));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        f.close();
        QString error;
        const qint64 before = httpTotals().bytesFetched.load();
        auto file = openWeightFile(url(rel), &error);
        if (file) { // a damaged header opens read-only with the tensor as a problem
            QCOMPARE(file->tensors.size(), size_t(1));
            QVERIFY2(file->tensors[0]->problem.contains(expected),
                     qPrintable(file->tensors[0]->problem));
            QByteArray bytesRead;
            QVERIFY(!file->tensors[0]->storage->readAll(&bytesRead, &error));
            QVERIFY2(error.contains(url(rel)), qPrintable(error));
        } else {
            QVERIFY2(error.contains(url(rel)) && error.contains(expected), qPrintable(error));
        }
        QVERIFY(httpTotals().bytesFetched.load() - before <= bytes.size());
    }

    void remoteDocumentIsReadOnlySaveAsWritesALocalCopy() {
        QString error;
        const QString u = url("mlp.safetensors");
        auto file = openWeightFile(u, &error);
        QVERIFY2(file, qPrintable(error));
        Document doc(std::move(file));
        QVERIFY(!doc.save(u, &error));
        QVERIFY2(error.contains(u) && error.contains("read-only") && error.contains("Save As"),
                 qPrintable(error));
        QTemporaryDir out;
        const QString copy = out.filePath("mlp.safetensors");
        QVERIFY2(doc.save(copy, &error), qPrintable(error));
        QCOMPARE(doc.file().path, copy); // now a local document
        QFile a(copy), b(m_root.filePath("mlp.safetensors"));
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        QCOMPARE(a.readAll(), b.readAll());
    }

    // A remote GGUF saved as a local file: the file byte for byte but for the edited
    // tensor's bytes (a q4_0 block re-quantized), which read back as the edit stored.
    void ggufSaveAsKeepsEveryOtherByte() {
        QString error;
        auto file = openWeightFile(url("gguf/all_types.gguf"), &error);
        QVERIFY2(file, qPrintable(error));
        Document doc(std::move(file));
        int index = -1;
        for (size_t i = 0; i < doc.file().tensors.size(); ++i)
            if (doc.file().tensors[i]->encoding && doc.file().tensors[i]->problem.isEmpty() &&
                doc.file().tensors[i]->encoding->typeName() == QLatin1String("q8_0"))
                index = int(i);
        QVERIFY(index >= 0);
        const Tensor& t = *doc.file().tensors[size_t(index)];
        QVERIFY2(doc.edit(index, Region::cell2d(t, 0, 0), EditOperation::set(0.5), &error),
                 qPrintable(error));
        QTemporaryDir out;
        const QString copy = out.filePath("all_types.gguf");
        QVERIFY2(doc.save(copy, &error), qPrintable(error));
        QFile a(copy), b(m_root.filePath("gguf/all_types.gguf"));
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
        const QByteArray saved = a.readAll(), original = b.readAll();
        QCOMPARE(saved.size(), original.size());
        auto local = openWeightFile(copy, &error);
        QVERIFY2(local, qPrintable(error));
        const Tensor& edited = *local->tensors[size_t(index)];
        const qint64 begin = edited.storage->fileOffset();
        for (qsizetype i = 0; i < saved.size(); ++i)
            if (saved[i] != original[i])
                QVERIFY2(i >= begin && i < begin + 34, qPrintable(QString::number(i))); // 1 block
        float value = 0;
        QVERIFY2(edited.readFloats(0, 1, &value, &error), qPrintable(error));
        QVERIFY2(std::abs(value - 0.5f) < 0.02f, qPrintable(QString::number(value)));
    }

    void shardedSaveAsCopiesEveryShard() {
        QString error;
        auto file = openWeightFile(url("sharded/model.safetensors.index.json"), &error);
        QVERIFY2(file, qPrintable(error));
        Document doc(std::move(file));
        QTemporaryDir out;
        QVERIFY2(doc.save(out.filePath("model.safetensors.index.json"), &error), qPrintable(error));
        for (const char* f : {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                              "model-00002-of-00002.safetensors"}) {
            QFile a(out.filePath(f)), b(m_root.filePath(QStringLiteral("sharded/") + f));
            QVERIFY2(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly), f);
            QCOMPARE(a.readAll(), b.readAll());
        }
    }
};

QTEST_GUILESS_MAIN(TestRemoteOpen)
#include "tst_remoteopen.moc"
