// Summary of the selected tensor: shape, dtype, element count, statistics of its
// values, and the other tensors that share its storage.
#pragma once

#include "Statistics.h"
#include "WeightFile.h"

#include <QLabel>
#include <QMap>
#include <QPushButton>
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
    /// Shows the tensor's description with \a message and a button labelled \a button
    /// that emits computeRequested() in place of the statistics (a large remote tensor,
    /// whose statistics would fetch all of it).
    void offer(const WeightFile& file, const TensorPtr& tensor, const QString& message,
               const QString& button);
    QAbstractButton* computeButton() const;
    void clear();

    /// The text shown for \a key: "shape", "dtype", "encoding", "elements", "min", "max",
    /// "mean", "std", "l2", "zeros", "nan", "linked".
    QString value(const QString& key) const;

Q_SIGNALS:
    /// The button of offer() was pressed.
    void computeRequested();

private:
    void showHeader(const WeightFile& file, const TensorPtr& tensor);
    void set(const QString& key, const QString& text);

    QLabel* m_name = nullptr;
    QMap<QString, QLabel*> m_fields;
    QPushButton* m_compute = nullptr;
};

} // namespace ws
