// The window benchmark of issue 14: drives the real MainWindow (offscreen) on a large
// model and reports what a user waits for and what the process holds: open -> fileLoaded,
// the tensor shown, its first paint, the heatmap's refined(), statistics and histogram
// ready; RSS every 100 ms (a sampler thread reading /proc/self/statm); a scripted pan
// down the whole tensor at 1/64 of its rows and back up (bench/out/pan_rss.csv); a fill
// of the whole tensor and its undo. With --view-only (a file on a server): open, first
// paint and what the window fetched over HTTP in the 10 s after, then exit.
// Usage: weightscope_bench_window FILE [TENSOR] [--csv PATH] [--view-only]
//        (run by bench/run_llm_benchmark.py and bench/run_remote_benchmark.py; TENSOR
//        defaults to model.embed_tokens.weight)
#include "AnalysisRunner.h"
#include "Blob.h"
#include "Document.h"
#include "HeatmapWidget.h"
#include "HttpTransfer.h"
#include "LayerTreeView.h"
#include "MainWindow.h"
#include "Region.h"
#include "TensorView.h"
#include "TileCache.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>
#include <QUndoStack>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace ws;

namespace {

double rssMiB() {
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly)) return 0;
    const QList<QByteArray> parts = f.readAll().split(' ');
    return parts.size() > 1 ? parts[1].toDouble() * 4096.0 / (1024.0 * 1024.0) : 0;
}

/// CPU seconds (user + system) of the whole process so far: on a shared machine the
/// wall times above include waiting for a core, this does not.
double cpuSeconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void report(const char* key, double value, const char* unit) {
    std::printf("%-44s %10.1f %s\n", key, value, unit);
    std::fflush(stdout);
}

/// RSS every 100 ms on its own thread (the GUI thread blocks in edits).
class Sampler {
public:
    Sampler() {
        m_clock.start();
        m_thread = std::thread([this] {
            while (!m_stop.load()) {
                const double rss = rssMiB();
                {
                    std::lock_guard<std::mutex> lock(m_mutex);
                    m_samples.push_back({now(), rss});
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
    }
    ~Sampler() {
        m_stop = true;
        m_thread.join();
    }
    double now() const { return double(m_clock.nsecsElapsed()) / 1e6; }
    /// Peak of the samples taken in [t0, t1] ms, and of the RSS now when t1 is now.
    double peak(double t0, double t1) {
        std::lock_guard<std::mutex> lock(m_mutex);
        double p = 0;
        for (const auto& s : m_samples)
            if (s.first >= t0 && s.first <= t1) p = std::max(p, s.second);
        return p;
    }

private:
    QElapsedTimer m_clock;
    std::atomic<bool> m_stop{false};
    std::mutex m_mutex;
    std::vector<std::pair<double, double>> m_samples;
    std::thread m_thread;
};

/// Runs the event loop until \a done or \a timeoutMs; false on timeout.
bool waitFor(const std::function<bool()>& done, int timeoutMs) {
    QTimer tick; // wakes the blocking processEvents
    tick.start(2);
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
    }
    return true;
}

/// Notes the first completed paint of the heatmap once \a ready says the tensor's
/// picture is on it.
class PaintWatch : public QObject {
public:
    std::function<bool()> ready;
    std::function<void()> painted;
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() != QEvent::Paint || m_inside || !ready || !ready()) return false;
        m_inside = true;
        watched->event(event); // paint now, then note the time
        m_inside = false;
        const auto f = painted;
        ready = nullptr;
        if (f) f();
        return true;
    }

private:
    bool m_inside = false;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    // Settings (recent files, layout) go to a temporary folder, not the user's.
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", config.path().toLocal8Bit());
    Sampler sampler;
    QApplication app(argc, argv);
    QStringList args = app.arguments();
    QString csvPath = QStringLiteral("pan_rss.csv");
    const int csvAt = int(args.indexOf(QStringLiteral("--csv")));
    if (csvAt > 0 && csvAt + 1 < args.size()) {
        csvPath = args.at(csvAt + 1);
        args.remove(csvAt, 2);
    }
    const bool viewOnly = args.removeAll(QStringLiteral("--view-only")) > 0;
    if (args.size() < 2) {
        std::fprintf(stderr, "usage: weightscope_bench_window FILE [TENSOR] [--csv PATH] "
                             "[--view-only]\n");
        return 1;
    }
    const QString path = args.at(1);
    const QString name = args.size() > 2 ? args.at(2) : QStringLiteral("model.embed_tokens.weight");

    MainWindow w;
    w.resize(1600, 1000);
    w.show();
    HeatmapWidget* heatmap = w.tensorView()->heatmap();
    AnalysisRunner* runner = w.findChild<AnalysisRunner*>();
    if (!runner) {
        std::fprintf(stderr, "no AnalysisRunner in the window\n");
        return 2;
    }
    waitFor([] { return false; }, 300); // the window laid out and painted once
    report("RSS of the empty window", rssMiB(), "MiB");

    double t0 = -1, tLoaded = -1, tShown = -1, tPaint = -1, tRefined = -1, tStats = -1, tHist = -1,
           rssPaint = 0;
    int target = -1;
    bool failed = false;
    QObject::connect(&w, &MainWindow::loadFailed, [&](const QString& e) {
        std::fprintf(stderr, "%s\n", qPrintable(e));
        failed = true;
    });
    QObject::connect(&w, &MainWindow::fileLoaded, [&] {
        tLoaded = sampler.now();
        target = w.weightFile()->indexOf(name);
    });
    QObject::connect(&w, &MainWindow::tensorShown, [&](int index) {
        if (target < 0 || tShown >= 0) return;
        if (index != target) { // the window shows the first tensor: select ours, as a user
            QTimer::singleShot(0, &w, [&] { w.layerTree()->selectTensor(target); });
            return;
        }
        tShown = sampler.now();
    });
    PaintWatch watch;
    watch.ready = [&] {
        return tShown >= 0 && heatmap->tensor() && heatmap->tensor()->name == name &&
               heatmap->grid().values.size() > 0;
    };
    watch.painted = [&] {
        tPaint = sampler.now();
        rssPaint = rssMiB();
    };
    heatmap->installEventFilter(&watch);
    QObject::connect(heatmap, &HeatmapWidget::refined, [&] {
        if (tShown >= 0 && tRefined < 0) tRefined = sampler.now();
    });
    QObject::connect(runner, &AnalysisRunner::finished, &w, [&](const AnalysisResult& r) {
        if (tShown < 0 || !r.error.isEmpty()) return;
        if (r.hasStats && tStats < 0) tStats = sampler.now();
        if (r.hasHistogram && tHist < 0) tHist = sampler.now();
    });

    t0 = sampler.now();
    w.openFile(path);
    if (viewOnly) {
        // What a user looking at the tensor for 10 s costs: nothing read whole unless asked.
        waitFor([&] { return failed || (tPaint >= 0 && sampler.now() - tPaint >= 10000); }, 600000);
        if (failed || tPaint < 0) return 2;
        report("open -> fileLoaded", tLoaded - t0, "ms");
        report("open -> tensorShown (embedding selected)", tShown - t0, "ms");
        report("open -> first paint of the embedding", tPaint - t0, "ms");
        report("bytes fetched over HTTP, open + 10 s after the first paint",
               double(httpTotals().bytesFetched.load()), "bytes");
        report("heatmap awaits a request to read the whole tensor",
               heatmap->awaitsWholeFetch() ? 1 : 0, "");
        report("peak RSS", sampler.peak(t0, sampler.now()), "MiB");
        return 0;
    }
    const bool settled = waitFor(
        [&] {
            // A view that never needed refining is refined at its first paint.
            if (tPaint >= 0 && tRefined < 0 && !heatmap->isRefining() && heatmap->rangeIsExact())
                tRefined = sampler.now();
            return failed ||
                   (tRefined >= 0 && tStats >= 0 && tHist >= 0 && sampler.now() - t0 >= 30000);
        },
        600000);
    if (failed) return 2;
    if (!settled) std::fprintf(stderr, "warning: not everything arrived within 10 minutes\n");
    const double tSettled = sampler.now();
    report("open -> fileLoaded", tLoaded - t0, "ms");
    report("open -> tensorShown (embedding selected)", tShown - t0, "ms");
    report("open -> first paint of the embedding", tPaint - t0, "ms");
    report("open -> refined()", tRefined - t0, "ms");
    report("open -> statistics ready", tStats - t0, "ms");
    report("open -> histogram ready", tHist - t0, "ms");
    report("RSS after first paint", rssPaint, "MiB");
    report("peak RSS over the first 30 s", sampler.peak(t0, t0 + 30000), "MiB");
    report("peak RSS until all settled", sampler.peak(0, tSettled), "MiB");
    report("RSS when settled", rssMiB(), "MiB");
    report("CPU time, process start until settled", cpuSeconds(), "s");
    report("tile cache budget", double(TileCache::instance().budget()) / 1048576.0, "MiB");

    // The pan: 1/64 of the rows at a time, top to bottom, then back up (cached tiles).
    const int64_t rows = heatmap->source()->rows(), cols = heatmap->source()->cols();
    const int64_t span = std::max<int64_t>(rows / 64, 1);
    QFile csv(csvPath);
    if (!csv.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        std::fprintf(stderr, "%s: cannot write\n", qPrintable(csvPath));
        return 2;
    }
    csv.write("pass,step,row0,rows,sync_ms,redraw_ms,refined,rss_mib\n");
    heatmap->xAxis->setRange(-0.5, double(cols) - 0.5);
    std::vector<int64_t> starts;
    for (int64_t r = 0; r < rows; r += span)
        starts.push_back(std::min(r, rows - span));
    const double panStart = sampler.now();
    double panPeak = 0;
    std::vector<double> down, up, downSync, upSync;
    for (int pass = 0; pass < 2; ++pass) {
        std::vector<int64_t> order = starts;
        if (pass == 1) std::reverse(order.begin(), order.end());
        for (size_t k = 0; k < order.size(); ++k) {
            const int64_t r0 = order[k];
            bool refined = false;
            auto c = QObject::connect(heatmap, &HeatmapWidget::refined, [&] { refined = true; });
            QElapsedTimer t;
            t.start();
            heatmap->yAxis->setRange(double(r0) - 0.5, double(r0 + span) - 0.5);
            heatmap->updateGrid();
            heatmap->replot(QCustomPlot::rpImmediateRefresh);
            const double syncMs = double(t.nsecsElapsed()) / 1e6;
            const bool waited = heatmap->isRefining();
            if (waited) waitFor([&] { return refined || !heatmap->isRefining(); }, 120000);
            heatmap->replot(QCustomPlot::rpImmediateRefresh);
            const double totalMs = double(t.nsecsElapsed()) / 1e6;
            QObject::disconnect(c);
            const double rss = rssMiB();
            panPeak = std::max(panPeak, rss);
            (pass == 0 ? down : up).push_back(totalMs);
            (pass == 0 ? downSync : upSync).push_back(syncMs);
            csv.write(QStringLiteral("%1,%2,%3,%4,%5,%6,%7,%8\n")
                          .arg(pass == 0 ? "down" : "up")
                          .arg(k)
                          .arg(r0)
                          .arg(span)
                          .arg(syncMs, 0, 'f', 2)
                          .arg(totalMs, 0, 'f', 2)
                          .arg(waited ? 1 : 0)
                          .arg(rss, 0, 'f', 1)
                          .toUtf8());
        }
    }
    csv.close();
    panPeak = std::max(panPeak, sampler.peak(panStart, sampler.now()));
    const double cpuPan = cpuSeconds();
    report("pan steps (each way)", double(starts.size()), "");
    report("pan down: median redraw (to refined)", median(down), "ms");
    report("pan down: max redraw", *std::max_element(down.begin(), down.end()), "ms");
    report("pan down: median synchronous part", median(downSync), "ms");
    report("pan up (cached): median redraw", median(up), "ms");
    report("pan up (cached): max redraw", *std::max_element(up.begin(), up.end()), "ms");
    report("peak RSS during the pan", panPeak, "MiB");
    report("RSS after the pan", rssMiB(), "MiB");
    report("tile cache held after the pan", double(TileCache::instance().bytes()) / 1048576.0,
           "MiB");

    report("CPU time, process start until after the pan", cpuPan, "s");

    // The window's statistics + histogram request alone, on this thread (nothing else
    // of the process running): what the panels cost without the heatmap's refinement.
    {
        AnalysisRequest q;
        q.tensor = w.weightFile()->tensors[size_t(target)];
        q.histogram = true;
        const double cpu0 = cpuSeconds();
        QElapsedTimer at;
        at.start();
        const AnalysisResult r = AnalysisRunner::run(q);
        report("statistics + histogram alone (wall)", double(at.nsecsElapsed()) / 1e6, "ms");
        report("statistics + histogram alone (CPU)", cpuSeconds() - cpu0, "s");
        if (!r.error.isEmpty()) std::fprintf(stderr, "analysis: %s\n", qPrintable(r.error));
    }

    // A fill of the whole tensor and its undo, through the window's document.
    heatmap->resetView();
    waitFor([&] { return !heatmap->isRefining(); }, 120000);
    Document* doc = w.document();
    const TensorPtr t = w.weightFile()->tensors[size_t(target)];
    QString error;
    const double fillStart = sampler.now();
    QElapsedTimer timer;
    timer.start();
    if (!doc->edit(target, Region::whole(*t), EditOperation::set(0.5), &error)) {
        std::fprintf(stderr, "fill: %s\n", qPrintable(error));
        return 2;
    }
    const double fillMs = double(timer.nsecsElapsed()) / 1e6;
    const double onDisk = double(EditMemory::onDisk()) / 1048576.0;
    const double inMemory = double(EditMemory::inMemory()) / 1048576.0;
    waitFor([&] { return sampler.now() - fillStart > 3000 && !runner->isRunning(); }, 300000);
    const double fillSettled = sampler.now();
    timer.restart();
    doc->undoStack()->undo();
    const double undoMs = double(timer.nsecsElapsed()) / 1e6;
    waitFor([&] { return sampler.now() - fillSettled > 3000 && !runner->isRunning(); }, 300000);
    const bool restored = t->elementText(0) != QStringLiteral("0.5");
    report("fill whole tensor (Document::edit)", fillMs, "ms");
    report("undo of the fill", undoMs, "ms");
    report("edit memory budget", double(EditMemory::budget()) / 1048576.0, "MiB");
    report("edit memory after the fill: in RAM", inMemory, "MiB");
    report("edit memory after the fill: on disk", onDisk, "MiB");
    report("peak RSS during fill (+ window refresh)", sampler.peak(fillStart, fillSettled), "MiB");
    report("peak RSS during undo (+ window refresh)", sampler.peak(fillSettled, sampler.now()),
           "MiB");
    report("undo restored the values (1 = yes)", restored ? 1 : 0, "");
    report("RSS at the end", rssMiB(), "MiB");
    report("CPU time, whole run", cpuSeconds(), "s");
    return 0;
}
