// weightscope-hdf5: the only place libhdf5 runs. The HDF5 format starts it (with
// QProcess) for each walk of a file's structure, each read of a dataset's values
// and each save, so that a crash, a loop or a runaway allocation inside libhdf5 on
// a damaged file ends this process, not the application. It limits its own
// address space at start; the application limits its time.
//
//   weightscope-hdf5 scan FILE [--range OFFSET SIZE]          JSON report on stdout
//   weightscope-hdf5 read FILE DATASET DTYPE SHAPE [--range OFFSET SIZE]
//                                                             raw values on stdout
//   weightscope-hdf5 write FILE      records on stdin into existing datasets
//   weightscope-hdf5 create FILE     records on stdin into a new file
// Every command takes --memory-budget BYTES (beyond what the program itself maps).
// Exit 0 on success; otherwise one line on stderr and an Hdf5HelperExit code.
#include "Hdf5Library.h"
#include "Hdf5Values.h"
#include "Hdf5Walk.h"
#include "LzfFilter.h"

#include <QFile>
#include <QFileInfo>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fcntl.h>
#include <new>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace ws;

namespace {

[[noreturn]] void finish(int code, const QString& message = QString()) {
    fflush(stdout);
    if (!message.isEmpty()) {
        const QByteArray text = message.toUtf8() + '\n';
        if (::write(2, text.constData(), size_t(text.size()))) {
        }
    }
    _exit(code); // no libhdf5 clean-up: a damaged file may have left it in any state
}

[[noreturn]] void fail(const QString& message) {
    finish(hdf5::outOfMemory() ? kHdf5HelperOutOfMemory : kHdf5HelperFailed, message);
}

[[noreturn]] void outOfMemory() {
    static const char text[] = "out of memory\n"; // no allocation left to format anything
    if (::write(2, text, sizeof text - 1)) {
    }
    _exit(kHdf5HelperOutOfMemory);
}

// Qt containers throw std::bad_alloc without calling the new handler.
[[noreturn]] void terminated() {
    if (std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::bad_alloc&) {
            outOfMemory();
        } catch (...) {
        }
    }
    std::abort();
}

// Bytes of address space mapped now.
qint64 mappedBytes() {
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly)) return 0;
    return statm.readLine().split(' ').value(0).toLongLong() * sysconf(_SC_PAGESIZE);
}

void limitSelf(qint64 budget) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the application
    const rlimit noCore{0, 0};
    setrlimit(RLIMIT_CORE, &noCore);
    if (budget > 0) {
        const rlim_t limit = rlim_t(mappedBytes() + budget);
        const rlimit as{limit, limit};
        setrlimit(RLIMIT_AS, &as);
    }
    std::set_new_handler(outOfMemory);
    std::set_terminate(terminated);
}

struct Arguments {
    QString command, file, dataset;
    DType dtype = DType::Float32;
    std::vector<int64_t> shape;
    qint64 rangeOffset = 0, rangeSize = -1, budget = 0;
};

bool parseShape(const QString& text, std::vector<int64_t>* shape) {
    shape->clear();
    if (text == QLatin1String("[]")) return true;
    if (!text.startsWith(QLatin1Char('[')) || !text.endsWith(QLatin1Char(']'))) return false;
    for (const QString& part : text.mid(1, text.size() - 2).split(QLatin1Char(','))) {
        bool ok = false;
        const qint64 n = part.trimmed().toLongLong(&ok);
        if (!ok || n < 0) return false;
        shape->push_back(n);
    }
    return true;
}

bool parse(const QStringList& args, Arguments* a) {
    QStringList positional;
    for (int i = 0; i < args.size(); ++i) {
        bool ok1 = true, ok2 = true;
        if (args[i] == QLatin1String("--range") && i + 2 < args.size()) {
            a->rangeOffset = args[i + 1].toLongLong(&ok1);
            a->rangeSize = args[i + 2].toLongLong(&ok2);
            i += 2;
        } else if (args[i] == QLatin1String("--memory-budget") && i + 1 < args.size()) {
            a->budget = args[++i].toLongLong(&ok1);
        } else {
            positional << args[i];
        }
        if (!ok1 || !ok2) return false;
    }
    if (positional.size() < 2) return false;
    a->command = positional[0];
    a->file = positional[1];
    if (a->command == QLatin1String("read")) {
        const auto dtype = positional.size() == 5 ? dtypeFromName(positional[3]) : std::nullopt;
        if (!dtype || !parseShape(positional[4], &a->shape)) return false;
        a->dataset = positional[2];
        a->dtype = *dtype;
        return true;
    }
    return positional.size() == 2 &&
           (a->command == QLatin1String("scan") || a->command == QLatin1String("write") ||
            a->command == QLatin1String("create"));
}

void create(const Arguments& a) {
    hdf5::Handle fapl(H5Pcreate(H5P_FILE_ACCESS));
    H5Pset_fclose_degree(fapl.id(), H5F_CLOSE_STRONG);
    hdf5::Handle file(
        H5Fcreate(QFile::encodeName(a.file).constData(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.id()));
    if (!file.valid()) fail(QStringLiteral("cannot create HDF5 file: %1").arg(hdf5::takeError()));
    QString error;
    if (!writeDatasetRecords(file.id(), true, 0, &error)) fail(error);
    if (H5Fclose(file.release()) < 0)
        fail(QStringLiteral("cannot finish writing: %1").arg(hdf5::takeError()));
}

} // namespace

int main(int argc, char** argv) {
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    Arguments a;
    if (!parse(args, &a))
        finish(kHdf5HelperUsage, QStringLiteral("usage: weightscope-hdf5 scan|read|write|create "
                                                "FILE ... (started by WeightScope)"));
    limitSelf(a.budget);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (!registerLzfFilter()) fail(QStringLiteral("cannot register the LZF filter"));
    if (a.command == QLatin1String("create")) {
        create(a);
        finish(0);
    }
    const bool writable = a.command == QLatin1String("write");
    const qint64 fileSize = a.rangeSize >= 0 ? a.rangeSize : QFileInfo(a.file).size();
    QString error;
    hdf5::Handle file = hdf5::openFile(a.file, writable, &error, a.rangeOffset, a.rangeSize);
    if (!file.valid()) fail(error);
    if (a.command == QLatin1String("scan")) {
        hdf5::Handle root(H5Gopen2(file.id(), "/", H5P_DEFAULT));
        if (!root.valid())
            fail(QStringLiteral("cannot open the root group: %1").arg(hdf5::takeError()));
        Hdf5Scan scan;
        walkHdf5File(file.id(), fileSize, &scan);
        const QByteArray json = hdf5ScanToJson(scan);
        if (fwrite(json.constData(), 1, size_t(json.size()), stdout) != size_t(json.size()))
            fail(QStringLiteral("cannot send the report"));
        finish(0);
    }
    if (a.command == QLatin1String("read")) {
        fcntl(1, F_SETPIPE_SZ, 1 << 20); // fewer round trips for big datasets
        const Hdf5Expected want{a.dataset, a.dtype, a.shape};
        if (!streamDatasetValues(file.id(), fileSize, want, 1, &error)) fail(error);
        finish(0);
    }
    if (!writeDatasetRecords(file.id(), false, 0, &error)) fail(error);
    if (H5Fclose(file.release()) < 0)
        fail(QStringLiteral("cannot finish writing: %1").arg(hdf5::takeError()));
    finish(0);
}
