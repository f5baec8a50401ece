"""The shape of the package, read from the source: its folders on ordered layers, no import pointing
to a later layer and no import circle (function-local and type-only imports included), nothing at
the top of `dlkit/` but `__init__.py`, `__main__.py` and folders, and no module outside
`dlkit/tasks/` naming a task."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dlkit"

#: The layers, lowest first: the folders of `dlkit/` on each. A module may import its own layer and
#: those before it, never a later one. The foundation (errors, the registry mechanism and its roots)
#: is at the bottom, then the vocabularies a config names, the config, the engine's contract (the
#: Task, preparing data, scoring), the model, what trains and uses a model, the built-in tasks and
#: the services, the commands, `dlkit init`, the command line; `dlkit/__init__.py` and
#: `__main__.py` (the plug-in API and the entry point) on top.
LAYERS = [
    ("core",),
    ("layers",),
    ("components", "data"),
    ("config",),
    ("engine",),
    ("model",),
    ("training", "predict", "export", "attack"),
    ("tasks", "tuning", "serve"),
    ("commands", "crossval"),
    ("autoconfig",),
    ("cli",),
    ("", "__main__"),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, modules) -> list[str]:
    """Every module an import statement names, in functions and `if TYPE_CHECKING:` blocks too
    (`from a import b` names `a.b` where that is a module, else `a`)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append(submodule if submodule in modules else node.module)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(ast.parse(path.read_text()), modules) if m in modules and m != name}
        for name, path in modules.items()
    }


def layer_of(module: str) -> int:
    """The index in LAYERS of the folder `module` is in (`dlkit` itself: the top one)."""
    folder = module.split(".")[1] if "." in module else ""
    found = [i for i, folders in enumerate(LAYERS) if folder in folders]
    assert found, f"{module}: its folder {folder!r} is on no layer of LAYERS; add it where it belongs"
    return found[0]


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import pointing to a later layer, as `module -> imported`."""
    return sorted(f"{m} -> {d}" for m, deps in graph.items() for d in deps if layer_of(d) > layer_of(m))


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_is_read_from_the_source():
    graph = import_graph()
    assert "dlkit.engine.task" in graph["dlkit.training.trainer"]
    assert "dlkit.training.trainer" in graph["dlkit.tasks.gan.session"]  # a function-local import counts too
    assert "dlkit.config.experiment" in graph["dlkit.engine.task"]  # a type-only import counts too


def test_no_import_points_to_a_later_layer():
    assert upward(import_graph()) == []


def test_the_check_finds_an_import_up():
    graph = {"dlkit.core.runs": {"dlkit.tasks.binary"}, "dlkit.tasks.binary": {"dlkit.core.runs"}}
    assert upward(graph) == ["dlkit.core.runs -> dlkit.tasks.binary"]


def test_no_import_cycle():
    assert _cycle(import_graph()) is None


def test_the_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_top_of_the_package_holds_folders_only():
    loose = sorted(p.name for p in PACKAGE.iterdir() if p.is_file() and p.name not in ("__init__.py", "__main__.py"))
    assert loose == []
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert folders == {f for layer in LAYERS for f in layer if f not in ("", "__main__")}


#: Names of the built-in tasks, quoted, or a comparison with `task`.
NAMES_A_TASK = re.compile(r"""task *[!=]=|['"](gan|binary|regression|classification|multilabel)['"]""")


def test_no_module_outside_the_tasks_names_a_task():
    tasks = PACKAGE / "tasks"
    allowed = {PACKAGE / "config" / "experiment.py"}  # DEFAULT_TASK: the task of a config without `task:`
    naming = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if tasks not in path.parents and path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if NAMES_A_TASK.search(line)
    ]
    assert naming == []
