// Text, typed values and the headline summary of GGUF metadata. The keys are
// llama.cpp's (QUANT.md section 5): general.*, {arch}.*, tokenizer.ggml.*.
#include "GgufMetadata.h"

#include <QStringList>
#include <QVariantMap>

namespace ws {

namespace {

QString scalarText(const QVariant& v, GgufType t) {
    switch (t) {
    case GgufType::Float32:
        return QString::number(v.toDouble(), 'g', 9);
    case GgufType::Float64:
        return QString::number(v.toDouble(), 'g', 17);
    case GgufType::Bool:
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case GgufType::UInt8:
    case GgufType::UInt16:
    case GgufType::UInt32:
    case GgufType::UInt64:
        return QString::number(v.toULongLong());
    case GgufType::Int8:
    case GgufType::Int16:
    case GgufType::Int32:
    case GgufType::Int64:
        return QString::number(v.toLongLong());
    case GgufType::String:
    case GgufType::Array:
        break;
    }
    return v.toString();
}

// A string as shown in a summary: control characters made visible, long ones cut.
QString shownString(const QString& s) {
    QString o;
    for (QChar c : s) {
        if (c == QLatin1Char('\n'))
            o += QLatin1String("\\n");
        else if (c == QLatin1Char('\t'))
            o += QLatin1String("\\t");
        else if (c.unicode() < 0x20)
            o += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            o += c;
    }
    return o.size() > 200 ? o.left(200) + QStringLiteral("...") : o;
}

QString elementNoun(GgufType t, uint64_t n) {
    QString name = t == GgufType::String ? QStringLiteral("string") : ggufTypeName(t).toLower();
    return n == 1 ? name : name + QLatin1Char('s');
}

QString firstElements(const GgufKV& kv, int n) {
    QStringList items;
    for (size_t i = 0; i < kv.values.size() && int(i) < n; ++i)
        items << (kv.elementType == GgufType::String ? shownString(kv.values[i].toString())
                                                     : scalarText(kv.values[i], kv.elementType));
    QString s = items.join(QLatin1String(", "));
    if (kv.length > uint64_t(items.size())) s += QLatin1String(", ...");
    return s;
}

} // namespace

QString ggufValueText(const GgufKV& kv) {
    if (kv.type == GgufType::String) return shownString(kv.values.front().toString());
    if (kv.type != GgufType::Array) return scalarText(kv.values.front(), kv.type);
    QString s =
        QStringLiteral("[%1 %2]").arg(kv.length).arg(elementNoun(kv.elementType, kv.length));
    if (kv.length > 0) s += QLatin1Char(' ') + firstElements(kv, kGgufShownElements);
    return s;
}

QVariant ggufValueTyped(const GgufKV& kv) {
    if (kv.type != GgufType::Array) return kv.values.front();
    QVariantList first;
    for (size_t i = 0; i < kv.values.size() && int(i) < kGgufShownElements; ++i)
        first << kv.values[i];
    QVariantMap m;
    m.insert(QStringLiteral("type"), ggufTypeName(kv.elementType));
    m.insert(QStringLiteral("length"), qulonglong(kv.length));
    m.insert(QStringLiteral("first"), first);
    return m;
}

QString ggufFileTypeName(qulonglong ftype) {
    static const char* const names[] = {
        "ALL_F32",       "MOSTLY_F16",     "MOSTLY_Q4_0",
        "MOSTLY_Q4_1",   nullptr,          nullptr,
        nullptr,         "MOSTLY_Q8_0",    "MOSTLY_Q5_0",
        "MOSTLY_Q5_1",   "MOSTLY_Q2_K",    "MOSTLY_Q3_K_S",
        "MOSTLY_Q3_K_M", "MOSTLY_Q3_K_L",  "MOSTLY_Q4_K_S",
        "MOSTLY_Q4_K_M", "MOSTLY_Q5_K_S",  "MOSTLY_Q5_K_M",
        "MOSTLY_Q6_K",   "MOSTLY_IQ2_XXS", "MOSTLY_IQ2_XS",
        "MOSTLY_Q2_K_S", "MOSTLY_IQ3_XS",  "MOSTLY_IQ3_XXS",
        "MOSTLY_IQ1_S",  "MOSTLY_IQ4_NL",  "MOSTLY_IQ3_S",
        "MOSTLY_IQ3_M",  "MOSTLY_IQ2_S",   "MOSTLY_IQ2_M",
        "MOSTLY_IQ4_XS", "MOSTLY_IQ1_M",   "MOSTLY_BF16",
        nullptr,         nullptr,          nullptr,
        "MOSTLY_TQ1_0",  "MOSTLY_TQ2_0",   "MOSTLY_MXFP4_MOE",
        "MOSTLY_NVFP4",  "MOSTLY_Q1_0",
    };
    if (ftype < sizeof(names) / sizeof(names[0]) && names[ftype])
        return QString::fromLatin1(names[ftype]);
    return QString();
}

std::vector<std::pair<QString, QString>> ggufSummary(const GgufHeader& h) {
    std::vector<std::pair<QString, QString>> out;
    const auto text = [&](const QString& key) {
        const GgufKV* kv = h.find(key);
        return kv ? ggufValueText(*kv) : QString();
    };
    const auto add = [&](const QString& label, const QString& value) {
        if (!value.isEmpty()) out.emplace_back(label, value);
    };
    const QString arch = text(QStringLiteral("general.architecture"));
    add(QStringLiteral("Architecture"), arch);
    add(QStringLiteral("Name"), text(QStringLiteral("general.name")));
    const auto archKey = [&](const char* suffix) {
        return arch.isEmpty() ? QString() : text(arch + QLatin1Char('.') + QLatin1String(suffix));
    };
    add(QStringLiteral("Context length"), archKey("context_length"));
    add(QStringLiteral("Embedding length"), archKey("embedding_length"));
    add(QStringLiteral("Block count"), archKey("block_count"));
    add(QStringLiteral("Feed-forward length"), archKey("feed_forward_length"));
    add(QStringLiteral("Attention heads"), archKey("attention.head_count"));
    add(QStringLiteral("KV heads"), archKey("attention.head_count_kv"));
    add(QStringLiteral("Experts"), archKey("expert_count"));
    add(QStringLiteral("Experts used"), archKey("expert_used_count"));
    add(QStringLiteral("RoPE freq base"), archKey("rope.freq_base"));
    add(QStringLiteral("RoPE dimensions"), archKey("rope.dimension_count"));
    if (const GgufKV* ft = h.find(QStringLiteral("general.file_type")); ft && ft->values.size()) {
        const QString name = ggufFileTypeName(ft->values.front().toULongLong());
        const QString v = ggufValueText(*ft);
        add(QStringLiteral("File type"),
            name.isEmpty() ? v : QStringLiteral("%1 (%2)").arg(v, name));
    }
    add(QStringLiteral("Quantization version"),
        text(QStringLiteral("general.quantization_version")));
    add(QStringLiteral("Tokenizer"), text(QStringLiteral("tokenizer.ggml.model")));
    if (const GgufKV* tokens = h.find(QStringLiteral("tokenizer.ggml.tokens"));
        tokens && tokens->type == GgufType::Array) {
        add(QStringLiteral("Vocabulary size"), QString::number(tokens->length));
        add(QStringLiteral("First tokens"), firstElements(*tokens, 10));
    }
    add(QStringLiteral("BOS token id"), text(QStringLiteral("tokenizer.ggml.bos_token_id")));
    add(QStringLiteral("EOS token id"), text(QStringLiteral("tokenizer.ggml.eos_token_id")));
    add(QStringLiteral("GGUF version"), QString::number(h.version));
    add(QStringLiteral("Alignment"), QString::number(h.alignment));
    add(QStringLiteral("Metadata keys"), QString::number(h.kv.size()));
    return out;
}

} // namespace ws
