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
WHOLE = re.compile(r"^(.*?)\s*(\+=|-=|\*=|/=|=)\s*(\S+)\s*$")


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


def split(mapping, expr):
    """(name, index text or None, op, value): a left-hand side that names an entry
    exactly wins over reading a trailing "[...]" as an index (names may hold brackets:
    "state[3].exp_avg", "['a.b']"); else the last bracketed group is the index."""
    whole = WHOLE.match(expr)
    if whole and whole.group(1).strip() in mapping:
        return whole.group(1).strip(), None, whole.group(2), whole.group(3)
    m = EXPR.match(expr)
    if m is None:
        return None
    name, _, index, op, value = m.groups()
    return name.strip(), index, op, value


def apply(mapping, expr):
    name, index, op, value = split(mapping, expr)
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
        parts = split(mapping, e)
        if parts is None or parts[0] not in mapping:
            bad.append(e)
    return bad
