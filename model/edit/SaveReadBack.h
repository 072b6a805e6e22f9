// The document's side of the read-back before a save's rename (SaveCheck in
// AtomicSave.h): the written file is read with the format's own reader and its
// tensor list and edited tensors are compared with what the document holds.
#pragma once

#include "AtomicSave.h"
#include "WeightFile.h"

#include <QHash>
#include <QSet>

namespace ws {

class SaveReadBack : public SaveCheck {
public:
    /// \a stored: the tensors the writer saves (WeightFile::storedOnly()); \a format:
    /// the reader the written file is read with. \a conversion: saved in another
    /// format than the document's, where names and types may change; then only the
    /// number of tensors is compared.
    SaveReadBack(const WeightFile& stored, const FileFormat* format, bool conversion);

    bool check(const QString& readPath, const QString& target, bool part, QSet<QString>* seen,
               QString* error) const override;
    bool complete(const QSet<QString>& seen, QString* error) const override;

    /// Bytes of edited tensors compared by the checks so far (for the benchmark).
    qint64 comparedBytes() const { return m_compared; }

private:
    bool compareTensor(const Tensor& want, const Tensor& got, QString* error) const;

    std::vector<TensorPtr> m_tensors;
    QHash<QString, TensorPtr> m_byName;
    QSet<QString> m_edited; ///< names of tensors whose storage has unsaved edits
    const FileFormat* m_format;
    bool m_conversion;
    mutable qint64 m_compared = 0;
    /// Byte ranges already compared (tied weights share one storage: compared once).
    mutable QSet<QString> m_comparedRanges;
};

} // namespace ws
