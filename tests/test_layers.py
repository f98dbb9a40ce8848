"""The package in layers you can read from its folder names: a module imports only from its own
layer or the layers below it (function-level imports included), and no modules import each
other in a circle."""
import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "perfeval_xl"
# The layer order, written once: lowest first; a module belongs to the longest prefix that names it.
LAYERS = [
    ["perfeval_xl", "perfeval_xl.files", "perfeval_xl.office"],  # the version, atomic writes, LibreOffice
    ["perfeval_xl.engine"],                                     # rules, values as typed, editions
    ["perfeval_xl.formulas"],                                   # native formulas, UDF bodies, evaluator
    ["perfeval_xl.forms"],                                      # layouts, templates, printing
    ["perfeval_xl.book"],                                       # the gate, then the book interface
    ["perfeval_xl.checks"],                                     # assessment and findings
    ["perfeval_xl.bureau", "perfeval_xl.report"],               # stamp, export, collect; the report draft
    ["perfeval_xl.cli", "perfeval_xl.scoring", "perfeval_xl.excel"],  # entry points
]
def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: set[str], root: Path = ROOT) -> set[str]:
    """The package's modules that ``path`` imports, wherever in the file the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importing module's package
                package = module_name(path, root).split(".")
                package = package if path.name == "__init__.py" else package[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {m for m in found if m in known}


def layer(module: str) -> int:
    prefixes = [(len(p), i) for i, names in enumerate(LAYERS) for p in names
                if module == p or module.startswith(p + ".")]
    assert prefixes, f"{module} is in no layer: add its folder to LAYERS"
    return max(prefixes)[1]


def graph() -> dict[str, set[str]]:
    found = modules()
    return {m: imports(p, set(found)) - {m} for m, p in found.items()}


def upward(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in edges.items() for b in targets if layer(b) > layer(a))


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_from_a_higher_layer():
    assert upward(graph()) == []


def test_no_modules_import_each_other_in_a_circle():
    assert circles(graph()) == []


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "perfeval_xl"
    (pkg / "engine").mkdir(parents=True)
    (pkg / "engine" / "rules.py").write_text("def f():\n    from ..report import draft\n", encoding="utf-8")
    (pkg / "report").mkdir()
    (pkg / "report" / "draft.py").write_text("from perfeval_xl.engine import rules\n", encoding="utf-8")
    known = {"perfeval_xl.engine.rules", "perfeval_xl.report.draft"}
    edges = {m: imports(tmp_path / (m.replace(".", "/") + ".py"), known, tmp_path) for m in known}
    assert upward(edges) == [("perfeval_xl.engine.rules", "perfeval_xl.report.draft")]
    assert circles(edges) == [sorted(known)]
