// The open file at a glance: format, tensor and parameter counts, the model's
// headline facts (a GGUF's architecture, context length, heads, rope, tokenizer)
// and every metadata key with its value (arrays summarised).
#pragma once

#include "WeightFile.h"

#include <QWidget>

class QTreeWidget;

namespace ws {

class FileInfoPanel : public QWidget {
    Q_OBJECT
public:
    explicit FileInfoPanel(QWidget* parent = nullptr);

    /// Shows \a file's facts and metadata.
    void setFile(const WeightFile& file);
    void clear();

    /// The value shown for \a label ("Format", "Architecture", or a metadata key), or
    /// an empty string.
    QString value(const QString& label) const;
    QTreeWidget* tree() const { return m_tree; }

private:
    QTreeWidget* m_tree = nullptr;
};

} // namespace ws
