"""WeightScope's edit expressions applied with the real tools' own indexing.

apply(mapping, "fc.weight[0:5, :] += 0.5") applies the edit in place to
mapping["fc.weight"], a numpy array or a torch tensor, with Python's indexing
and in-place operators (so numpy's or PyTorch's own rounding), and returns the
name. Shared by the round-trip check scripts.
"""
import contextlib
import re
import sys

EXPR = re.compile(r"^(.*?)(\[([^\[\]]*)\])?\s*(\+=|-=|\*=|/=|=)\s*(\S+)\s*$")


def parse_index(text):
    items = []
    for part in text.split(","):
        part = part.strip()
        if ":" in part:
            a, b = part.split(":")
            items.append(slice(int(a) if a.strip() else None, int(b) if b.strip() else None))
        else:
            items.append(int(part))
    return tuple(items)


def apply(mapping, expr):
    name, _, index, op, value = EXPR.match(expr).groups()
    name = name.strip()
    a = mapping[name]
    v = int(value) if re.fullmatch(r"[-+]?\d+", value) else float(value)
    idx = parse_index(index) if index is not None else ...
    torch = sys.modules.get("torch")
    with torch.no_grad() if torch else contextlib.nullcontext():
        if op == "=":
            a[idx] = v
        elif op == "+=":
            a[idx] += v
        elif op == "-=":
            a[idx] -= v
        elif op == "*=":
            a[idx] *= v
        elif op == "/=":
            a[idx] /= v
    return name
