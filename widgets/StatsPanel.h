// Summary of the selected tensor: shape, dtype, element count, statistics of its
// values, and the other tensors that share its storage.
#pragma once

#include "Statistics.h"
#include "WeightFile.h"

#include <QLabel>
#include <QMap>
#include <QWidget>

namespace ws {

class StatsPanel : public QWidget {
    Q_OBJECT
public:
    explicit StatsPanel(QWidget* parent = nullptr);

    /// Computes the statistics of \a tensor (loads it, on this thread) and shows them.
    void setTensor(const WeightFile& file, const TensorPtr& tensor);
    /// Shows statistics computed elsewhere (e.g. on a worker thread).
    void showStats(const WeightFile& file, const TensorPtr& tensor, const TensorStats& stats);
    /// Shows the tensor's description with \a error in place of the statistics.
    void showError(const WeightFile& file, const TensorPtr& tensor, const QString& error);
    void clear();

    /// The text shown for \a key: "shape", "dtype", "encoding", "elements", "min", "max",
    /// "mean", "std", "l2", "zeros", "nan", "linked".
    QString value(const QString& key) const;

private:
    void showHeader(const WeightFile& file, const TensorPtr& tensor);
    void set(const QString& key, const QString& text);

    QLabel* m_name = nullptr;
    QMap<QString, QLabel*> m_fields;
};

} // namespace ws
