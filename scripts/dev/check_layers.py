#!/usr/bin/python3
"""Checks the arrows between WeightScope's layers (ARCHITECTURE.md) by reading
every #include "..." in the tree: the build already fails on most forbidden
includes (each library exports only its own folder), this also catches the ones
that a shared include path would let through and says which rule broke.
Exit 0 when clean, 1 with one line per violation. Run by ctest (test `layers`)."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE_DIRS = ["model", "widgets", "app"]
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)
WIDGET_INCLUDE = re.compile(r'^\s*#\s*include\s*<(QtWidgets/|QWidget|QMainWindow|QDialog|QAbstract'
                            r'(Button|ScrollArea|ItemView)|QLabel|QPushButton|QApplication|'
                            r'qcustomplot)', re.M)


def layer_of(rel):
    """The layer a repository-relative path belongs to: 'core', 'edit', 'format:pytorch',
    'registry', 'widgets', 'app', ..."""
    parts = rel.split("/")
    if parts[0] != "model":
        return parts[0]
    if parts[1] == "formats":
        return "registry" if len(parts) == 3 else "format:" + parts[2]
    return parts[1] if len(parts) > 2 else "model"


# What each layer may include besides itself.
ALLOWED = {
    "core": set(),
    "edit": {"core"},
    "analysis": {"core"},
    "render": {"core", "analysis"},
    "net": {"core"},
    "format:container": {"core"},
    "registry": {"core", "net", "format:*"},
    # views know the model's layers and the registry (file dialogs), never one format
    "widgets": {"core", "edit", "analysis", "render", "registry"},
    "app": {"*"},
}


def allowed(src, dst):
    if src == dst:
        return True
    rules = ALLOWED.get(src)
    if rules is None and src.startswith("format:"):
        rules = {"core", "format:container"}
    if rules is None:
        return True
    return "*" in rules or dst in rules or (dst.startswith("format:") and "format:*" in rules)


def main():
    headers = {}
    files = []
    for top in SOURCE_DIRS:
        for dirpath, _, names in os.walk(os.path.join(ROOT, top)):
            for n in names:
                if n.endswith((".h", ".cpp")):
                    rel = os.path.relpath(os.path.join(dirpath, n), ROOT)
                    files.append(rel)
                    if n.endswith(".h"):
                        headers.setdefault(n, []).append(rel)
    problems = []
    for name, where in headers.items():
        if len(where) > 1:
            problems.append("%s: header name used twice (%s): includes would be ambiguous"
                            % (name, ", ".join(where)))
    for rel in sorted(files):
        src = layer_of(rel)
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            text = f.read()
        if rel.startswith("model/") and WIDGET_INCLUDE.search(text):
            problems.append("%s: model/ includes a widget header (model never links QtWidgets)"
                            % rel)
        for inc in INCLUDE.findall(text):
            base = os.path.basename(inc)
            if base not in headers:
                continue  # generated (moc, ui) or third-party
            dst = layer_of(headers[base][0])
            if not allowed(src, dst):
                problems.append("%s: %s (%s) must not include %s (%s)"
                                % (rel, src, rel, inc, dst))
    for p in problems:
        print(p)
    print("layers: %d files checked, %d problems" % (len(files), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
