#!/usr/bin/python3
"""A fresh machine must have every Python module that a test, fixture generator,
benchmark or script imports: this compares the imports of every .py file under
tests/, bench/ and scripts/ with the Debian packages that scripts/ installs, so a
package installed by hand on a developer's machine cannot hide a missing install
step again. Exit 1 naming each module that nothing installs. Run by ctest."""
import ast
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Third-party modules and the Debian package that provides each.
PACKAGES = {
    "torch": "python3-torch", "numpy": "python3-numpy", "h5py": "python3-h5py",
    "onnx": "python3-onnx", "matplotlib": "python3-matplotlib", "PIL": "python3-pil",
    "scipy": "python3-scipy", "yaml": "python3-yaml", "pandas": "python3-pandas",
    "safetensors": "python3-safetensors",
}


def installed_packages():
    """Every Debian package name mentioned by the install steps under scripts/."""
    text = ""
    for dirpath, _, names in os.walk(os.path.join(ROOT, "scripts")):
        for n in names:
            path = os.path.join(dirpath, n)
            if n.endswith(".py"):
                continue
            try:
                with open(path, encoding="utf-8") as f:
                    text += f.read() + "\n"
            except (UnicodeDecodeError, OSError):
                pass
    return set(re.findall(r"\b(python3-[a-z0-9.-]+)", text))


def imports_of(path):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


def python_files():
    for top in ("tests", "bench", "scripts"):
        for dirpath, dirs, names in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if d != "node_modules"]
            yield dirpath, [n for n in names if n.endswith(".py")]


def main():
    have = installed_packages()
    stdlib = set(sys.stdlib_module_names)
    # Our own modules, which scripts also import across folders
    # (tests/scripts/ puts tests/fixtures/ on sys.path).
    local = {n[:-3] for _, names in python_files() for n in names}
    problems = []
    checked = 0
    for dirpath, names in python_files():
        for n in names:
            path = os.path.join(dirpath, n)
            checked += 1
            for mod in set(imports_of(path)):
                if mod in stdlib or mod in local or mod == "__future__":
                    continue
                pkg = PACKAGES.get(mod)
                rel = os.path.relpath(path, ROOT)
                if pkg is None:
                    problems.append("%s imports %s, which no known Debian package provides "
                                    "(add it to PACKAGES here and install it in scripts/)"
                                    % (rel, mod))
                elif pkg not in have:
                    problems.append("%s imports %s, but nothing under scripts/ installs %s"
                                    % (rel, mod, pkg))
    for p in problems:
        print(p)
    print("installs: %d Python files checked, %d problems" % (checked, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
