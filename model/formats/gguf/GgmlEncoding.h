// A GGUF tensor stored in ggml blocks (q4_K, iq2_xs, mxfp4, ...): the TensorEncoding
// that decodes only the blocks a view asks for and re-quantizes edited blocks with
// ggml's reference quantizer.
#pragma once

#include "GgmlTypes.h"
#include "TensorEncoding.h"

#include <memory>
#include <utility>

namespace ws {

/// Decoder (and, where ggml has a reference quantizer, encoder) of one ggml block type.
/// The tensor's storage holds exactly its blocks, row after row; its shape is the
/// logical one (numpy order, ne reversed), so blocks run along the last dimension.
class GgmlEncoding : public TensorEncoding {
public:
    explicit GgmlEncoding(const ggml::TypeTraits& type) : m_type(type) {}
    /// The shared encoding of \a type (which must have a decoder).
    static std::shared_ptr<const GgmlEncoding> of(const ggml::TypeTraits& type);

    const ggml::TypeTraits& type() const { return m_type; }
    QString typeName() const override;
    QString description() const override;
    QString validate(const Tensor& t) const override;
    bool decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                QString* error) const override;
    int64_t unitElements() const override;
    int64_t unitBytes() const override;
    QString readOnlyReason() const override;
    bool encodeUnits(const float* values, int64_t nUnits, char* dst, QString* error) const override;

private:
    const ggml::TypeTraits& m_type;
};

/// A GGUF tensor of a type we cannot decode (an unknown id, or a ggml type without a
/// decoder here): it keeps its name ("q1_0", "ggml type 99") wherever a type is shown,
/// and every read fails with the reason (also in Tensor::problem).
class UnreadableGgmlEncoding : public TensorEncoding {
public:
    UnreadableGgmlEncoding(QString name, QString reason)
        : m_name(std::move(name)), m_reason(std::move(reason)) {}
    QString typeName() const override { return m_name; }
    QString description() const override { return m_reason; }
    QString validate(const Tensor&) const override { return m_reason; }
    bool decode(const Tensor&, int64_t, int64_t, float*, QString* error) const override {
        if (error) *error = m_reason;
        return false;
    }
    QString readOnlyReason() const override { return m_reason; }

private:
    QString m_name, m_reason;
};

} // namespace ws
