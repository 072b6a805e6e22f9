// How the stored bytes of a tensor that is not a plain strided array of one dtype
// become values: ggml blocks (GGUF), FP8 with block scales, GPTQ/AWQ packed
// integers, NVFP4/MXFP4, PyTorch quantized and sparse tensors. Such a tensor keeps
// its logical shape and a storage of encoded bytes; views decode what they show.
#pragma once

#include <QString>
#include <QStringList>
#include <cstdint>

namespace ws {

class Tensor;

/// The decoder (and, where defined, the re-encoder) of one tensor's values.
/// Implementations are immutable and thread-safe: tiles decode on worker threads.
class TensorEncoding {
public:
    virtual ~TensorEncoding() = default;

    /// The type shown wherever a dtype would be: "q4_K", "qint8", "gptq int4".
    virtual QString typeName() const = 0;
    /// How values are decoded, for the tensor's panel: block size, scale layout,
    /// bits per weight ("256 values per 144-byte block, 4.5 bits per weight; ...").
    virtual QString description() const = 0;
    /// Empty when \a t (its shape and storage size) fits this encoding, else the
    /// problem. Called before anything is decoded.
    virtual QString validate(const Tensor& t) const = 0;
    /// Decodes the logical elements [first, first + count) of \a t, in C order of
    /// t.shape, into \a dst. Reads the storage through Storage::readBytes (edits
    /// included). False with \a error when the bytes cannot be read.
    virtual bool decode(const Tensor& t, int64_t first, int64_t count, float* dst,
                        QString* error) const = 0;

    /// Editing works on units: runs of unitElements() logical elements (a block),
    /// stored one after another, unitBytes() each, from the start of the storage.
    /// 0 when the encoding cannot be edited (see readOnlyReason()).
    virtual int64_t unitElements() const { return 0; }
    virtual int64_t unitBytes() const { return 0; }
    /// Why edits are refused when unitElements() is 0.
    virtual QString readOnlyReason() const {
        return QStringLiteral("%1 tensors cannot be edited").arg(typeName());
    }
    /// Encodes \a nUnits units from \a values (unitElements() floats each) into \a dst
    /// (unitBytes() each) exactly as the format's reference quantizer does.
    virtual bool encodeUnits(const float* values, int64_t nUnits, char* dst, QString* error) const {
        Q_UNUSED(values)
        Q_UNUSED(nUnits)
        Q_UNUSED(dst)
        *error = readOnlyReason();
        return false;
    }
    /// Names of the file's other tensors this one is computed from (GPTQ: qweight,
    /// qzeros, scales, g_idx), which the layer tree groups under it.
    virtual QStringList sources() const { return {}; }
};

} // namespace ws
