// Index lists are short; a hand-written parser keeps the messages precise.
#include "TensorIndex.h"

#include <QStringList>
#include <algorithm>

namespace ws {

namespace {

bool parseInt(const QString& s, int64_t* out) {
    bool ok = false;
    qlonglong v = s.trimmed().toLongLong(&ok);
    if (ok) *out = v;
    return ok;
}

} // namespace

bool parseIndexList(const QString& text, std::vector<IndexItem>* out, QString* error) {
    out->clear();
    if (text.trimmed().isEmpty()) {
        *error = QStringLiteral("empty index");
        return false;
    }
    for (const QString& rawPart : text.split(QLatin1Char(','))) {
        const QString part = rawPart.trimmed();
        IndexItem item;
        if (part.isEmpty()) {
            *error = QStringLiteral("empty index item in [%1]").arg(text);
            return false;
        }
        const QStringList ends = part.split(QLatin1Char(':'));
        if (ends.size() > 2) {
            *error = QStringLiteral("slice steps are not supported: '%1'").arg(part);
            return false;
        }
        if (ends.size() == 1) {
            if (!parseInt(part, &item.start)) {
                *error = QStringLiteral("'%1' is not an index").arg(part);
                return false;
            }
        } else {
            item.isSlice = true;
            if (!ends[0].trimmed().isEmpty()) {
                item.hasStart = true;
                if (!parseInt(ends[0], &item.start)) {
                    *error = QStringLiteral("'%1' is not a slice start").arg(ends[0].trimmed());
                    return false;
                }
            }
            if (!ends[1].trimmed().isEmpty()) {
                item.hasStop = true;
                if (!parseInt(ends[1], &item.stop)) {
                    *error = QStringLiteral("'%1' is not a slice end").arg(ends[1].trimmed());
                    return false;
                }
            }
        }
        out->push_back(item);
    }
    return true;
}

bool resolveIndex(const std::vector<IndexItem>& index, const Tensor& t, Region* out,
                  QString* error) {
    if (int(index.size()) > t.rank()) {
        *error = QStringLiteral("too many indices for tensor %1 of shape %2")
                     .arg(t.name, t.shapeString());
        return false;
    }
    Box box;
    for (int d = 0; d < t.rank(); ++d) {
        const int64_t dim = t.shape[size_t(d)];
        int64_t start = 0, size = dim;
        if (d < int(index.size())) {
            const IndexItem& it = index[size_t(d)];
            if (!it.isSlice) {
                int64_t i = it.start < 0 ? it.start + dim : it.start;
                if (i < 0 || i >= dim) {
                    *error = QStringLiteral("index %1 is out of range for dimension %2 of "
                                            "%3 with size %4")
                                 .arg(it.start)
                                 .arg(d)
                                 .arg(t.name)
                                 .arg(dim);
                    return false;
                }
                start = i;
                size = 1;
            } else {
                auto norm = [dim](int64_t v) {
                    if (v < 0) v += dim;
                    return std::clamp<int64_t>(v, 0, dim);
                };
                int64_t a = it.hasStart ? norm(it.start) : 0;
                int64_t b = it.hasStop ? norm(it.stop) : dim;
                start = a;
                size = std::max<int64_t>(0, b - a);
            }
        }
        box.start.push_back(start);
        box.size.push_back(size);
    }
    *out = Region();
    out->addBox(box);
    return true;
}

QStringList regionIndexTexts(const Tensor& t, const Region& r) {
    QStringList out;
    for (const Box& b : r.boxes()) {
        QStringList items;
        bool whole = true;
        for (size_t d = 0; d < b.size.size(); ++d) {
            const int64_t start = b.start[d], size = b.size[d], dim = t.shape[d];
            if (start == 0 && size == dim) {
                items << QStringLiteral(":");
            } else {
                whole = false;
                items << (size == 1 ? QString::number(start)
                                    : QStringLiteral("%1:%2").arg(start).arg(start + size));
            }
        }
        // Trailing whole dimensions are implied, as PyTorch writes them.
        while (!items.isEmpty() && items.back() == QLatin1String(":"))
            items.removeLast();
        out << (whole || items.isEmpty()
                    ? QString()
                    : QLatin1Char('[') + items.join(QStringLiteral(", ")) + QLatin1Char(']'));
    }
    return out;
}

} // namespace ws
