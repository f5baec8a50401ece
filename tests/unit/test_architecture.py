"""The shape of the package, read from the source: no import circle among dlkit's modules
(function-local imports included), and no module outside `dlkit/tasks/` naming a task."""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "dlkit"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.AST, modules) -> list[str]:
    """Every module an import statement names, in functions too (`from a import b` names `a.b`
    where that is a module, else `a`); `if TYPE_CHECKING:` blocks are left out (they never run)."""
    found = []

    def visit(node):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.append(submodule if submodule in modules else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(ast.parse(path.read_text()), modules) if m in modules and m != name}
        for name, path in modules.items()
    }


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
    assert "dlkit.tasks" in graph["dlkit.training.trainer"]
    assert "dlkit.training.trainer" in graph["dlkit.tasks.gan.session"]  # a function-local import would count too


def test_no_import_cycle():
    assert _cycle(import_graph()) is None


def test_the_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


#: Names of the built-in tasks, quoted, or a comparison with `task`.
NAMES_A_TASK = re.compile(r"""task *[!=]=|['"](gan|binary|regression|classification|multilabel)['"]""")


def test_no_module_outside_the_tasks_names_a_task():
    tasks = PACKAGE / "tasks"
    naming = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if tasks not in path.parents
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if NAMES_A_TASK.search(line)
    ]
    assert naming == []
