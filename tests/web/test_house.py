"""The house rules a newcomer relies on: from a URL to its package and back, views that stay inside
their feature, rules modules free of Flask, no import circles."""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]

# The first segment of a URL → the package that serves it (README, "Map of the code"). Written out
# again here, not read from the app: the test is the contract.
PREFIXES = {
    "antrian": "queue", "impor": "intake", "klaim": "claims", "ganda": "duplicates", "bpjs": "bpjs",
    "ekspor": "exports", "kabupaten": "county", "publik": "public", "berita-acara": "berita_acara",
    "api": "api", "admin": "admin",
    # the account pages at the root of the site
    "": "auth", "masuk": "auth", "keluar": "auth", "sandi": "auth", "bahasa": "auth", "akun": "auth",
}
FEATURES = set(PREFIXES.values())
NOT_RULES = ("views", "forms", "commands")  # a feature's other modules are its rules


@pytest.fixture(scope="module")
def graph():
    sys.path.insert(0, str(ROOT))
    return grimp.build_graph("portal")


def _feature(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FEATURES else None


def _is_view_or_form(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return leaf in ("views", "forms") or leaf.endswith("_views")


def test_every_endpoint_sits_in_the_package_its_url_names(app):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        first = rule.rule.strip("/").split("/")[0]
        package = PREFIXES.get(first)
        assert package, f"{rule.rule}: no package is named for /{first}"
        module = app.view_functions[rule.endpoint].__module__
        assert module.split(".")[:2] == ["portal", package], f"{rule.rule} is served by {module}"
        assert rule.endpoint.split(".")[0] == package, f"{rule.rule}: endpoint {rule.endpoint}"
        checked += 1
    assert checked >= 70  # every page, not a handful


def test_each_package_serves_one_prefix(app):
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            served.setdefault(rule.endpoint.split(".")[0], set()).add(rule.rule.strip("/").split("/")[0])
    for package, prefixes in served.items():
        if package != "auth":
            assert len(prefixes) == 1, f"{package} serves {sorted(prefixes)}"
            assert app.blueprints[package].url_prefix == "/" + prefixes.pop()
    assert set(served) == FEATURES


def test_no_feature_imports_another_features_views_or_forms(graph):
    """Direct imports suffice: an indirect path would run through rules, core or the web layer,
    which the import contracts already keep away from views."""
    crossings = [(importer, imported) for imported in graph.modules if _feature(imported) and _is_view_or_form(imported)
                 for importer in graph.find_modules_that_directly_import(imported)
                 if _feature(importer) != _feature(imported) and importer != "portal"]
    assert crossings == []


def test_every_rules_module_is_flask_free_and_typed(graph):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"].startswith("feature rules"))
    rules = {m for m in graph.modules if _feature(m) and m.count(".") == 2
             and not (m.rsplit(".", 1)[-1] in NOT_RULES or m.endswith("_views"))}
    assert rules == set(contract["source_modules"])
    typed = {f.removesuffix(".py").replace("/", ".") for f in config["tool"]["mypy"]["files"]}
    assert rules <= typed and "portal.core" in typed


def test_importing_the_rules_loads_no_web_stack(graph):
    """At run time too: in a fresh interpreter, importing core and every rules module loads no
    Flask, no WTForms, no Jinja, no web layer and no views."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"].startswith("feature rules"))
    modules = sorted(m for m in graph.modules if m.startswith("portal.core")) + sorted(contract["source_modules"])
    script = ("import importlib, json, sys\n"
              f"for name in {modules!r}: importlib.import_module(name)\n"
              "print(json.dumps(sorted(sys.modules)))")
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True,
                                       text=True).stdout)
    web = [m for m in loaded if m.split(".")[0] in ("flask", "wtforms", "jinja2") or m.startswith("flask_")
           or m.startswith("portal.web") or (m.startswith("portal.") and _is_view_or_form(m))]
    assert web == []


def test_no_import_circles(graph):
    """Strongly connected groups of more than one module (Tarjan), i.e. any circle at all."""
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                circles.append(sorted([v, *group]))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert circles == []
