// Dispatch of the command line: top-level help and version, then the commands.
#include "CommandLine.h"
#include "CliSupport.h"
#include "EditCommand.h"
#include "FormatRegistry.h"
#include "HttpTransfer.h"
#include "StatsCommand.h"

#include <QFileInfo>
#include <csignal>
#include <cstdio>

#ifndef WS_VERSION
#define WS_VERSION "0.0.0"
#endif

namespace ws {

namespace {

QString generalHelp() {
    QStringList formats;
    for (const FileFormat* f : fileFormats())
        formats << f->displayName();
    return QStringLiteral(
               "Usage: weightscope [FILE]                open FILE in the viewer\n"
               "       weightscope info FILE [--json] [--stats]\n"
               "       weightscope stats FILE TENSOR [--json] [--bins N]\n"
               "       weightscope export FILE TENSOR -o OUT [--colormap NAME] "
               "[--range LO:HI] [--size WxH] ...\n"
               "       weightscope edit IN -o OUT [--dry-run] EXPR...\n"
               "       weightscope help [COMMAND] | --help | --version\n\n"
               "Commands:\n"
               "  info     list the tensors, parameter counts and layer tree of a weight file\n"
               "  stats    statistics, histogram, singular values and ranks of one tensor\n"
               "  export   write one tensor as an image (.png .svg .pdf) or values (.npy .csv)\n"
               "  edit     apply PyTorch-style edits ('fc.weight[0:5, :] = 0.1') and save\n\n"
               "Formats: %1\n"
               "FILE may be an http(s) URL of a safetensors file, a sharded model's\n"
               "*.safetensors.index.json or a .npy: only the bytes needed are fetched, with\n"
               "range requests. Environment: WS_HTTP_TOKEN (a bearer token, never printed),\n"
               "WS_HTTP_TIMEOUT_MS, WS_HTTP_RETRIES, WS_HTTP_CACHE_MB (disk cache, 0: none),\n"
               "WS_HTTP_STATS=1 (print the bytes fetched when done).\n"
               "Exit codes: 0 success, 1 bad usage, 2 unreadable file or unknown tensor.\n")
        .arg(formats.join(QLatin1String(", ")));
}

QStringList argumentsFrom(int argc, char** argv, int first) {
    QStringList list;
    for (int i = first; i < argc; ++i)
        list << QString::fromLocal8Bit(argv[i]);
    return list;
}

} // namespace

namespace {

// With WS_HTTP_STATS set, says on stderr what a command fetched over HTTP.
struct HttpStatsReport {
    ~HttpStatsReport() {
        const HttpCounters& c = httpTotals();
        if (qEnvironmentVariableIsEmpty("WS_HTTP_STATS") || c.requests.load() == 0) return;
        cli::err(QStringLiteral("weightscope: fetched %1 bytes in %2 requests (%3 retries)\n")
                     .arg(c.bytesFetched.load())
                     .arg(c.requests.load())
                     .arg(c.retries.load()));
    }
};

} // namespace

bool isCommandLineInvocation(int argc, char** argv) {
    if (argc < 2 || !argv[1]) return false;
    const QByteArray a(argv[1]);
    return a == "info" || a == "stats" || a == "export" || a == "edit" || a == "help" ||
           a == "--help" || a == "-h" || a == "--version";
}

int runCommandLine(int argc, char** argv) {
    // A file-size limit (ulimit -f) must fail a save with EFBIG, not kill the process.
    std::signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        cli::err(generalHelp());
        return cli::BadUsage;
    }
    const QString command = QString::fromLocal8Bit(argv[1]);
    const QStringList rest = argumentsFrom(argc, argv, 2);
    if (command == QLatin1String("--version")) {
        cli::out(QStringLiteral("weightscope %1\n").arg(QLatin1String(WS_VERSION)));
        return cli::Success;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h") ||
        command == QLatin1String("help")) {
        if (rest.isEmpty()) {
            cli::out(generalHelp());
            return cli::Success;
        }
        if (rest.first() == QLatin1String("info")) {
            cli::out(cli::infoHelp());
            return cli::Success;
        }
        if (rest.first() == QLatin1String("stats")) {
            cli::out(cli::statsHelp());
            return cli::Success;
        }
        if (rest.first() == QLatin1String("export")) {
            cli::out(cli::exportHelp());
            return cli::Success;
        }
        if (rest.first() == QLatin1String("edit")) {
            cli::out(cli::editHelp());
            return cli::Success;
        }
        return cli::fail(cli::BadUsage, QStringLiteral("no help for unknown command '%1'; "
                                                       "commands are info, stats, export and edit")
                                            .arg(rest.first()));
    }
    const HttpStatsReport report;
    if (command == QLatin1String("info")) return cli::runInfo(rest);
    if (command == QLatin1String("stats")) return cli::runStats(rest);
    if (command == QLatin1String("export")) return cli::runExport(rest, argc, argv);
    if (command == QLatin1String("edit")) return cli::runEdit(rest);
    return cli::fail(cli::BadUsage, QStringLiteral("unknown command '%1'").arg(command));
}

} // namespace ws
