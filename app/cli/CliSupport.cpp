// Output, file opening and tensor-name suggestions shared by the commands.
#include "CliSupport.h"
#include "FormatRegistry.h"

#include <QFileInfo>
#include <algorithm>
#include <cstdio>
#include <vector>

namespace ws::cli {

void out(const QString& text) {
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void err(const QString& text) {
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

int fail(int code, const QString& message) {
    err(QStringLiteral("weightscope: %1\n").arg(message));
    return code;
}

bool looksLikeOption(const QString& a) {
    return a.size() > 1 && a.startsWith(QLatin1Char('-'));
}

std::unique_ptr<WeightFile> openOrReport(const QString& path) {
    QString error;
    auto file = openWeightFile(path, &error);
    if (!file) {
        if (error.isEmpty()) error = QStringLiteral("%1: cannot read").arg(path);
        fail(BadInput, error.simplified());
    }
    return file;
}

namespace {

int editDistance(const QString& a, const QString& b) {
    const int n = int(a.size()), m = int(b.size());
    std::vector<int> prev(size_t(m) + 1), cur(size_t(m) + 1);
    for (int j = 0; j <= m; ++j)
        prev[size_t(j)] = j;
    for (int i = 1; i <= n; ++i) {
        cur[0] = i;
        for (int j = 1; j <= m; ++j) {
            const int subst = prev[size_t(j - 1)] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[size_t(j)] = std::min({prev[size_t(j)] + 1, cur[size_t(j - 1)] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[size_t(m)];
}

} // namespace

QStringList closeNames(const WeightFile& file, const QString& name) {
    std::vector<std::pair<int, QString>> scored;
    const int limit = std::max(2, int(name.size()) / 4);
    for (const auto& t : file.tensors) {
        if (std::abs(int(t->name.size()) - int(name.size())) > limit) {
            if (!name.isEmpty() && t->name.contains(name, Qt::CaseInsensitive))
                scored.emplace_back(limit + 1, t->name);
            continue;
        }
        const int d = editDistance(name.toLower(), t->name.toLower());
        if (d <= limit)
            scored.emplace_back(d, t->name);
        else if (!name.isEmpty() && t->name.contains(name, Qt::CaseInsensitive))
            scored.emplace_back(limit + 1, t->name);
    }
    std::stable_sort(scored.begin(), scored.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    QStringList names;
    for (const auto& s : scored) {
        if (names.size() == 3) break;
        names << s.second;
    }
    return names;
}

QString unknownTensorMessage(const WeightFile& file, const QString& path, const QString& name) {
    QString msg = QStringLiteral("%1: unknown tensor '%2'").arg(path, name);
    const QStringList close = closeNames(file, name);
    if (!close.isEmpty()) {
        QStringList quoted;
        for (const QString& c : close)
            quoted << QLatin1Char('\'') + c + QLatin1Char('\'');
        msg += QStringLiteral(" (did you mean %1?)").arg(quoted.join(QLatin1String(" or ")));
    } else if (file.tensors.empty()) {
        msg += QStringLiteral(" (the file holds no tensors)");
    } else {
        msg += QStringLiteral(" (see `weightscope info %1`)").arg(path);
    }
    return msg;
}

} // namespace ws::cli
