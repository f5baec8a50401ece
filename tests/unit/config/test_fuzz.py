"""Random mutations of the shipped configs thrown at `dlkit validate`: it accepts (0) or rejects (2)
with one-line messages, and never fails with a traceback."""

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO

CONFIGS = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((REPO / "configs").glob("*.yaml"))}

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["adam", "dense", "relu", "conv2d", "val_loss", "auto", "test", "balanced", "cosine", "-1"]),
    st.lists(st.integers(-3, 40), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


def _paths(node, prefix=()):
    """Every key path and list index in the config."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _mutate(config, path, kind, value, key):
    config = copy.deepcopy(config)
    if not path:
        return value if kind == "replace" else config
    parent = config
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if kind == "replace":
        parent[last] = value
    elif kind == "delete":
        del parent[last]
    elif kind == "rename" and isinstance(parent, dict):
        parent[str(last)[:-1] + key] = parent.pop(last)
    elif kind == "add" and isinstance(parent[last], dict):
        parent[last][key] = value
    elif kind == "add" and isinstance(parent[last], list):
        parent[last].append(value)
    return config


@st.composite
def mutated(draw):
    name = draw(st.sampled_from(sorted(CONFIGS)))
    config = CONFIGS[name]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(config))))
        kind = draw(st.sampled_from(["replace", "delete", "rename", "add"]))
        config = _mutate(config, path, kind, draw(values), draw(st.text(min_size=1, max_size=5)))
    return config


def _check(result):
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr + result.stdout
    if result.exit_code == 2:
        assert result.stderr.startswith("dlkit: error: ")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=mutated())
def test_mutated_configs_are_accepted_or_rejected_cleanly(config, cli, tmp_path):
    path = Path(tmp_path) / "mutated.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    _check(cli("validate", path))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(CONFIGS)),
    cut=st.floats(0, 1),
    junk=st.sampled_from(["\t", "{", "]", ": :", "- [", "!!python/object:os.system x", "&a *b", "\x00", "'"]),
)
def test_broken_yaml_is_rejected_cleanly(name, cut, junk, cli, tmp_path):
    text = (REPO / "configs" / f"{name}.yaml").read_text()
    at = int(len(text) * cut)
    path = Path(tmp_path) / "broken.yaml"
    path.write_text(text[:at] + junk + text[at:])
    _check(cli("validate", path))
