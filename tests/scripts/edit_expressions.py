"""WeightScope's edit expressions applied with the real tools' own indexing.

apply(mapping, "fc.weight[0:5, :] += 0.5") applies the edit in place to
mapping["fc.weight"], a numpy array or a torch tensor, with Python's indexing
and in-place operators (so numpy's or PyTorch's own rounding), and returns the
name. Shared by the round-trip check scripts. The value is an int, a float or
a Python complex literal ("x[0] = 1+2j", for complex tensors).
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


def parse_value(text):
    """int, else float, else a Python complex literal such as 1+2j, -0.5j or (1-2j)."""
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return complex(text)


def apply(mapping, expr):
    name, _, index, op, value = EXPR.match(expr).groups()
    name = name.strip()
    a = mapping[name]
    v = parse_value(value)
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


def unknown_names(mapping, exprs):
    """The expressions that do not parse or name no entry of mapping (for usage errors)."""
    bad = []
    for e in exprs:
        m = EXPR.match(e)
        if m is None or m.group(1).strip() not in mapping:
            bad.append(e)
    return bad
