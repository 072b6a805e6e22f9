// Main window, things that keep the user from losing work or being surprised: the
// question before a whole-tensor set/fill/re-initialize (with "don't ask again"),
// which initializer Re-initialize uses, the list of keyboard shortcuts, and waiting
// for another program to finish writing the open file before asking to reload it.
#include "MainWindow.h"

#include "LayerTree.h"

#include <QAction>
#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace ws {

namespace {

const QString kConfirmKey = QStringLiteral("confirm/wholeTensorEdits");

const LayerNode* nodeHolding(const LayerNode& node, int tensorIndex) {
    for (int i : node.tensors)
        if (i == tensorIndex) return &node;
    for (const auto& c : node.children)
        if (const LayerNode* n = nodeHolding(*c, tensorIndex)) return n;
    return nullptr;
}

bool startsWithAny(const QString& kind, std::initializer_list<const char*> prefixes) {
    for (const char* p : prefixes)
        if (kind.startsWith(QLatin1String(p))) return true;
    return false;
}

// Every action of \a menu and its submenus that has a shortcut, in menu order.
void collectShortcuts(const QMenu* menu, const QString& prefix, QStringList* rows,
                      QSet<const QAction*>* seen) {
    for (QAction* a : menu->actions()) {
        if (a->menu()) {
            collectShortcuts(a->menu(),
                             prefix + a->menu()->title().remove(QLatin1Char('&')) +
                                 QStringLiteral(" › "),
                             rows, seen);
            continue;
        }
        if (a->shortcut().isEmpty() || seen->contains(a)) continue;
        seen->insert(a);
        QString text = a->text().remove(QLatin1Char('&'));
        const int tab = text.indexOf(QLatin1Char('\t'));
        if (tab >= 0) text.truncate(tab);
        QStringList keys;
        for (const QKeySequence& k : a->shortcuts())
            keys << k.toString(QKeySequence::NativeText);
        rows->append(QStringLiteral("%1\t%2%3").arg(keys.join(QLatin1String(", ")), prefix, text));
    }
}

} // namespace

int MainWindow::s_changePollMs = 300;

void MainWindow::setChangePollInterval(int ms) {
    s_changePollMs = std::max(1, ms);
}

bool MainWindow::confirmWholeTensor(const QString& what) {
    if (!m_session->displayed() || hasSelection() || m_session->sliceSelection() ||
        m_session->displayed()->rows() <= 1)
        return true;
    if (!settings().value(kConfirmKey, true).toBool()) return true;
    QMessageBox box(QMessageBox::Question, tr("Change the Whole Tensor?"), what,
                    QMessageBox::Ok | QMessageBox::Cancel, this);
    box.setInformativeText(tr("Nothing is selected, so this changes all %1 values of %2. "
                              "Undo (%3) puts them back.")
                               .arg(m_session->displayed()->numel())
                               .arg(m_session->displayed()->name,
                                    m_undoAction->shortcut().toString(QKeySequence::NativeText)));
    box.setDefaultButton(QMessageBox::Cancel);
    auto* dontAsk = new QCheckBox(tr("Don't ask again"), &box);
    dontAsk->setObjectName(QStringLiteral("dontAskAgain"));
    box.setCheckBox(dontAsk);
    const bool ok = box.exec() == QMessageBox::Ok;
    if (ok && dontAsk->isChecked()) settings().setValue(kConfirmKey, false);
    return ok;
}

QString MainWindow::initializerName(int tensorIndex) const {
    if (!m_session->document() || tensorIndex < 0 ||
        tensorIndex >= int(m_session->file()->tensors.size()))
        return QString();
    const Tensor& t = *m_session->file()->tensors[size_t(tensorIndex)];
    // Keras kernels start from Keras's initializers, not PyTorch's.
    if (t.inputMajor || !isFloatingPoint(t.dtype) || t.encoding) return QString();
    const LayerNode* node = nodeHolding(m_session->document()->layerTree(), tensorIndex);
    if (!node) return QString();
    const int at = t.name.lastIndexOf(m_session->file()->separator);
    const QString leaf = at < 0 ? t.name : t.name.mid(at + 1);
    const bool weight = leaf == QLatin1String("weight"), bias = leaf == QLatin1String("bias");
    if (!weight && !bias) return QString();
    const QString& kind = node->kind;
    // Norm layers (weight 1, bias 0), GPT-2's Conv1D (normal(0, 0.02) in transformers)
    // and unknown kinds have no PyTorch reset_parameters to imitate.
    if (kind == QLatin1String("Linear") || kind == QLatin1String("Bilinear") ||
        startsWithAny(kind,
                      {"Conv1d", "Conv2d", "Conv3d", "ConvTranspose", "LazyConv", "LazyLinear"}) ||
        kind == QLatin1String("Conv")) {
        if (m_session->document()->fanIn(tensorIndex) <= 0) return QString();
        return weight ? QStringLiteral("kaiming_uniform(a=√5)")
                      : QStringLiteral("uniform(±1/√fan_in)");
    }
    if (kind == QLatin1String("Embedding") && weight) return QStringLiteral("normal(0, 1)");
    return QString();
}

QString MainWindow::shortcutsText() const {
    QStringList rows;
    QSet<const QAction*> seen;
    for (QAction* a : menuBar()->actions())
        if (a->menu())
            collectShortcuts(a->menu(),
                             a->menu()->title().remove(QLatin1Char('&')) + QStringLiteral(" › "),
                             &rows, &seen);
    // Keys of the views themselves, which no menu shows.
    rows << tr("Arrow keys\tHeatmap › Move the cell cursor (Ctrl: 10 cells)")
         << tr("+ / -\tHeatmap › Zoom in / out")
         << tr("Enter\tHeatmap › Edit the cell in the Cells table")
         << tr("Shift+drag\tHeatmap › Select a rectangle");
    return rows.join(QLatin1Char('\n'));
}

void MainWindow::showShortcuts() {
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Keyboard Shortcuts"));
    auto* layout = new QVBoxLayout(&dialog);
    auto* text = new QTextBrowser(&dialog);
    QString html = QStringLiteral("<table cellspacing=4>");
    for (const QString& row : shortcutsText().split(QLatin1Char('\n'))) {
        const QStringList cells = row.split(QLatin1Char('\t'));
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                    .arg(cells.value(0).toHtmlEscaped(), cells.value(1).toHtmlEscaped());
    }
    text->setHtml(html + QStringLiteral("</table>"));
    layout->addWidget(text);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.resize(480, 420);
    dialog.exec();
}

void MainWindow::pollChangedFile() {
    if (!m_session->document()) return;
    const QFileInfo info(m_session->document()->file().path);
    const qint64 size = info.exists() ? info.size() : -1;
    const QDateTime time = info.exists() ? info.lastModified() : QDateTime();
    const bool stable = size == m_changeSize && time == m_changeTime;
    m_changeSize = size;
    m_changeTime = time;
    if (!stable) {
        if (m_changePoll) m_changePoll->start(s_changePollMs);
        return;
    }
    m_changeSize = -2;
    askAboutChangedFile(m_session->document()->file().path);
}

} // namespace ws
