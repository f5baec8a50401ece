"""Looking up one name of a registry spread over several modules imports the module that registers
it, and no other; `registry_index.json` says which, and must match what the modules register."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dlkit.core.registries import INDEX, TASKS
from dlkit.core.registry import Registry
from dlkit.core.registry_index import PATH

REPO = Path(__file__).resolve().parents[3]


def test_the_shipped_index_is_what_the_modules_register():
    """In a fresh process, where no plug-in has registered anything."""
    code = "import json; from dlkit.core.registry_index import current; print(json.dumps(current()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(done.stdout) == json.loads(PATH.read_text()), "run: python -m dlkit.core.registry_index"
    assert {"tasks", "datasets"} <= set(INDEX)


def test_each_indexed_module_is_one_of_its_registry_s_locations():
    from dlkit.core import registries

    for listing, names in INDEX.items():
        (registry,) = [r for r in vars(registries).values() if isinstance(r, Registry) and r.listing == listing]
        modules = registry.modules()
        for name, module in names.items():
            assert any(module == m or module.startswith(f"{m}.") for m in modules), (listing, name, module)


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package `pkg_N` of three modules, `a` (registers alpha and its alias al), `b` (beta) and
    `c` (gamma), registering on `pkg_N.THINGS`, which the test makes; each test gets its own."""
    name = f"pkg_{tmp_path.name.replace('-', '_')}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("THINGS = None\n")
    for module, (thing, aliases) in {"a": ("alpha", ("al",)), "b": ("beta", ()), "c": ("gamma", ())}.items():
        (root / f"{module}.py").write_text(
            textwrap.dedent(f"""
                import {name}
                from dlkit.core.registry import Spec

                @{name}.THINGS.register({thing!r}, aliases={aliases!r})
                class Thing(Spec):
                    '''A {thing}.'''
            """)
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[module]


def _things(package: str, index: dict[str, str]) -> Registry:
    import importlib

    things = Registry("thing", "things", locations=(f"{package}.*",), index=index)
    importlib.import_module(package).THINGS = things
    return things


def _imported(package: str) -> set[str]:
    return {m.rsplit(".", 1)[1] for m in sys.modules if m.startswith(f"{package}.")}


def test_a_lookup_imports_only_the_module_the_index_names(package):
    things = _things(package, {"alpha": f"{package}.a", "al": f"{package}.a", "beta": f"{package}.b"})
    assert things.canonical("Al") == "alpha" and "beta" in things
    assert _imported(package) == {"a", "b"}
    assert things.names() == ["alpha", "beta", "gamma"]  # listing imports everything
    assert _imported(package) == {"a", "b", "c"}


@pytest.mark.parametrize(
    "index",
    [{}, {"gamma": "{package}.a"}, {"gamma": "{package}.gone"}],
    ids=["not indexed", "indexed wrongly", "indexed to a module that is gone"],
)
def test_a_stale_index_costs_imports_never_a_wrong_answer(package, index):
    things = _things(package, {name: module.format(package=package) for name, module in index.items()})
    assert things.canonical("gamma") == "gamma"
    assert _imported(package) == {"a", "b", "c"}


def test_an_unknown_name_is_looked_for_in_every_module(package):
    things = _things(package, {"alpha": f"{package}.a"})
    with pytest.raises(ValueError, match=r"unknown thing 'gamm'; did you mean 'gamma'"):
        things.canonical("gamm")


def test_a_plugin_taking_a_name_of_a_module_not_imported_yet_clashes_at_once(package):
    """The module registering the name is imported first, so the clash is the plug-in's."""
    things = _things(package, {"alpha": f"{package}.a", "al": f"{package}.a", "beta": f"{package}.b"})
    with pytest.raises(ValueError, match="thing 'beta' is registered twice"):
        things.register("beta")(type("Mine", (things.get("alpha"),), {}))
    assert _imported(package) == {"a", "b"}


def test_the_index_of_tasks_names_their_modules():
    assert TASKS.module_of("classification") == "dlkit.tasks.classification"
