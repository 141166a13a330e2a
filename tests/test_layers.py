"""The import graph keeps its shape: each layer imports only its own layer and the ones below it, and no module
imports (even lazily, inside a function) a module that imports it back. Read from the source with ``ast``."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("vocsvc", "api", "workers")

# lowest first; a module belongs to the first layer with a matching prefix (longest prefix wins)
LAYERS = [
    ("base", ["vocsvc.types", "vocsvc.errors", "vocsvc.clock", "vocsvc.settings", "vocsvc.kpi", "vocsvc.registry",
              "vocsvc.io"]),
    ("domain", ["vocsvc.nlp", "vocsvc.audio", "vocsvc.analyzer", "vocsvc.themes", "vocsvc.alerting",
                "vocsvc.webhooks", "vocsvc.qa"]),
    ("store", ["vocsvc.store"]),
    ("service", ["vocsvc.service", "vocsvc.batch"]),
    ("edge", ["vocsvc.cli", "api", "workers", "vocsvc"]),  # `vocsvc` itself: the lazy public facade
]


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in (ROOT / pkg).rglob("*.py"):
            if "migrations" in p.parts:
                continue  # alembic scripts: run by `vocsvc db upgrade`, never imported by the code
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = p
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in known:
                t = t.rsplit(".", 1)[0] if "." in t else ""
            if t and t != name:
                found.add(t)
    return found


def layer_of(mod: str) -> int:
    best = (-1, -1)
    for rank, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and len(p) > best[0]:
                best = (len(p), rank)
    assert best[1] >= 0, f"{mod} is in no layer: add it to LAYERS"
    return best[1]


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: {t for t in imports(m, p, known) if not m.startswith(t + ".")}  # a package's own __init__ is fine
            for m, p in mods.items()}


def test_no_upward_imports():
    bad = [f"{m} ({LAYERS[layer_of(m)][0]}) imports {t} ({LAYERS[layer_of(t)][0]})"
           for m, ts in graph().items() for t in ts if layer_of(t) > layer_of(m)]
    assert not bad, "\n".join(sorted(bad))


def test_store_is_sql_only():
    """The store imports nothing of the pipeline: no models, no rules, no service."""
    bad = [f"{m} imports {t}" for m, ts in graph().items() if m.startswith("vocsvc.store")
           for t in ts if not (t.startswith("vocsvc.store") or layer_of(t) == 0)]
    assert not bad, "\n".join(sorted(bad))


def test_no_import_cycles():
    g = graph()
    index, low, stack, on, cycles, n = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in list(g):
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_routes_write_no_sql():
    """Routes validate, call the service and shape the answer; SQL lives in the store."""
    for p in (ROOT / "api").rglob("*.py"):
        src = p.read_text(encoding="utf-8")
        assert "sqlalchemy" not in src and "store.schema" not in src, p


def test_api_reaches_the_store_only_for_keys():
    """Routes call the service; the one exception is API-key lookup (auth runs before any route)."""
    bad = [f"{m} imports {t}" for m, ts in graph().items() if m.startswith("api")
           for t in ts if t.startswith("vocsvc.store") and t != "vocsvc.store.keys"]
    assert not bad, "\n".join(sorted(bad))


def test_the_checker_sees_a_cycle(tmp_path):
    """The cycle finder is not vacuous: two modules importing each other lazily are caught."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from pkg import b\n")
    b.write_text("import pkg.a\n")
    known = {"pkg.a", "pkg.b"}
    assert imports("pkg.a", a, known) == {"pkg.b"} and imports("pkg.b", b, known) == {"pkg.a"}
