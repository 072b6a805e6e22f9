// The quantization config a hub model ships beside its weights: config.json's
// quantization_config (or compression_config, older compressed-tensors), else
// quantize_config.json (AutoGPTQ) or quant_config.json (AutoAWQ). Read with limits:
// a config is data from the file's author, never trusted for sizes.
#pragma once

#include <QJsonObject>
#include <QString>
#include <optional>

namespace ws::quant {

/// A quantization config and where it came from.
struct QuantConfig {
    QString file;       ///< "config.json", "quantize_config.json", ...
    QJsonObject object; ///< the quantization config itself
    QString method;     ///< quant_method, lower case: "gptq", "awq", "fp8", "compressed-tensors"
    /// Why the config could not be used (invalid JSON, not an object...), else empty.
    QString problem;
};

/// The config beside a model in \a folder; nullopt when there is none. A config that
/// exists but cannot be read comes back with problem set.
std::optional<QuantConfig> findQuantConfig(const QString& folder);

/// An integer member (a JSON number with an integral value within +-2^53), or nullopt.
std::optional<int64_t> intMember(const QJsonObject& o, const QString& key);
/// A boolean member, or \a fallback when absent or not a boolean.
bool boolMember(const QJsonObject& o, const QString& key, bool fallback);
/// A string member, lower case; empty when absent or not a string.
QString stringMember(const QJsonObject& o, const QString& key);

} // namespace ws::quant
