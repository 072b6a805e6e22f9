// WeightScope's in-process benchmark: time to open and list a checkpoint, time
// to the first paint of a tensor's heatmap, peak memory, fill and undo of a
// 4096 x 4096 region, and saving after editing one tensor next to `cp`.
// Usage: weightscope_bench FILE [TENSOR]   (run by bench/run_benchmark.py)
//        weightscope_bench --open FILE     only the open and listing of FILE
//        weightscope_bench --paint         only the first paint of a 50257 x 768
//                                          matrix in memory
// (--open and --paint time what unit tests once asserted; figures are reported here.)
#include "Document.h"
#include "FormatRegistry.h"
#include "HeatmapWidget.h"
#include "LayerTree.h"
#include "SaveReadBack.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <sys/resource.h>
#include <vector>

using namespace ws;

namespace {

double peakMiB() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;
}

double currentMiB() {
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QList<QByteArray> parts = f.readAll().split(' ');
    return parts.size() > 1 ? parts[1].toDouble() * 4096.0 / (1024.0 * 1024.0) : 0;
}

void report(const char* key, double value, const char* unit) {
    std::printf("%-34s %10.1f %s\n", key, value, unit);
    std::fflush(stdout);
}

double ms(const QElapsedTimer& t) {
    return double(t.nsecsElapsed()) / 1e6;
}

// Median of \a runs calls of \a f, in ms.
template <typename F> double medianMs(int runs, F f) {
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        QElapsedTimer timer;
        timer.start();
        f();
        times.push_back(ms(timer));
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// Opening FILE without reading its tensors (tst_pytorchreader asserted < 300 ms for
// 120 tensors of 1024 x 1024).
int benchOpen(const QString& path) {
    QString error;
    bool ok = true;
    size_t tensors = 0;
    const double t = medianMs(5, [&] {
        auto file = openWeightFile(path, &error);
        ok = ok && file;
        if (!file) return;
        auto tree = buildLayerTree(*file);
        tensors = file->tensors.size();
    });
    if (!ok) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    report("open + layer tree (median of 5)", t, "ms");
    report("tensors", double(tensors), "");
    return 0;
}

// The first paint of a 50257 x 768 matrix already in memory: pooling to the screen
// and drawing (tst_heatmapwidget asserted < 150 ms).
int benchPaint() {
    auto m = std::make_shared<MatrixF>(50257, 768);
    m->setZero();
    for (Eigen::Index i = 0; i < m->size(); i += 97)
        m->data()[i] = float(i % 2001) / 10000.0f - 0.1f;
    HeatmapWidget w;
    w.resize(1100, 800);
    w.show();
    const double t = medianMs(5, [&] {
        w.setValues(m, nullptr);
        w.replot(QCustomPlot::rpImmediateRefresh);
    });
    report("first paint 50257x768 in memory", t, "ms");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: weightscope_bench FILE [TENSOR] | --open FILE | --paint\n");
        return 1;
    }
    if (qstrcmp(argv[1], "--paint") == 0) return benchPaint();
    if (qstrcmp(argv[1], "--open") == 0 && argc > 2)
        return benchOpen(QString::fromLocal8Bit(argv[2]));
    const QString path = QString::fromLocal8Bit(argv[1]);
    const QString tensorName =
        argc > 2 ? QString::fromLocal8Bit(argv[2]) : QStringLiteral("transformer.wte.weight");

    // 1. open and list
    QElapsedTimer timer;
    timer.start();
    QString error;
    auto file = openWeightFile(path, &error);
    if (!file) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    auto tree = buildLayerTree(*file);
    report("open + layer tree", ms(timer), "ms");
    report("tensors", double(file->tensors.size()), "");
    report("parameters (M)", double(tree->parameterCount) / 1e6, "");
    report("memory after open (RSS)", currentMiB(), "MiB");

    // 2. first paint of the heatmap: load values, pool, render
    TensorPtr t = file->find(tensorName);
    if (!t) {
        std::fprintf(stderr, "no tensor %s\n", qPrintable(tensorName));
        return 2;
    }
    HeatmapWidget heatmap;
    heatmap.resize(1200, 800);
    heatmap.show();
    timer.restart();
    auto values = std::make_shared<MatrixF>();
    if (!t->values(values.get(), &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    const double loadMs = ms(timer);
    heatmap.setValues(values, t);
    heatmap.updateGrid();
    heatmap.grab(); // forces a full render
    report("first paint (load + pool + draw)", ms(timer), "ms");
    report("  of which loading the values", loadMs, "ms");
    timer.restart();
    heatmap.setValues(values, t);
    heatmap.updateGrid();
    heatmap.grab();
    report("repaint of loaded values", ms(timer), "ms");
    report("memory after first paint (RSS)", currentMiB(), "MiB");
    report("peak memory so far", peakMiB(), "MiB");
    heatmap.hide();

    // 3. fill and undo of a 4096 x 4096 region (float32, 64 MiB)
    {
        auto big = std::make_unique<WeightFile>();
        big->path = QStringLiteral("memory");
        auto bt = std::make_shared<Tensor>();
        bt->name = QStringLiteral("big");
        bt->setContiguousShape({6000, 5000});
        bt->storage = Storage::fromBytes(QByteArray(int(6000 * 5000 * 4), '\0'), "big");
        big->tensors.push_back(bt);
        Document doc(std::move(big));
        const Region region = Region::rect2d(*bt, 100, 200, 4096, 4096);
        timer.restart();
        doc.edit(0, region, EditOperation::set(0.1), &error);
        report("fill 4096x4096 region", ms(timer), "ms");
        timer.restart();
        doc.undoStack()->undo();
        report("undo of that fill", ms(timer), "ms");
        timer.restart();
        doc.undoStack()->redo();
        report("redo of that fill", ms(timer), "ms");
    }

    // 4. save after editing one tensor, next to cp of the same file
    {
        QTemporaryDir dir(QFileInfo(path).absolutePath() + QStringLiteral("/bench-XXXXXX"));
        const QString copy = dir.filePath(QStringLiteral("cp.pt"));
        timer.restart();
        QProcess::execute(QStringLiteral("cp"), {path, copy});
        const double cpMs = ms(timer);
        // Our save flushes the file to disk before renaming (it must survive a crash);
        // cp does not, so also time cp followed by sync of the copy.
        const QString copy2 = dir.filePath(QStringLiteral("cp-sync.pt"));
        timer.restart();
        QProcess::execute(
            QStringLiteral("sh"),
            {QStringLiteral("-c"), QStringLiteral("cp \"$0\" \"$1\" && sync \"$1\""), path, copy2});
        const double cpSyncMs = ms(timer);
        Document doc(std::move(file));
        const int index = doc.file().indexOf(tensorName);
        doc.edit(index, Region::cell2d(*doc.file().tensors[size_t(index)], 0, 0),
                 EditOperation::set(1.5), &error);
        const QString saved = dir.filePath(QStringLiteral("saved.pt"));
        // The read-back before the rename, as the save runs it, timed on its own below.
        const SaveReadBack readBack(doc.file().storedOnly(), doc.file().format, false);
        timer.restart();
        if (!doc.save(saved, &error)) std::fprintf(stderr, "save failed: %s\n", qPrintable(error));
        const double saveMs = ms(timer);
        QSet<QString> seen;
        timer.restart();
        if (!readBack.check(saved, saved, false, &seen, &error) || !readBack.complete(seen, &error))
            std::fprintf(stderr, "read-back failed: %s\n", qPrintable(error));
        const double readBackMs = ms(timer);
        report("cp of the file", cpMs, "ms");
        report("save after editing one tensor", saveMs, "ms");
        report("  of which the read-back before the rename", readBackMs, "ms");
        report("  bytes the read-back compared", double(readBack.comparedBytes()), "bytes");
        report("cp + sync of the file", cpSyncMs, "ms");
        report("save / cp", saveMs / cpMs, "x");
        report("save / (cp + sync)", saveMs / cpSyncMs, "x");
    }
    report("peak memory", peakMiB(), "MiB");
    return 0;
}
