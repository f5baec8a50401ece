"""Hostile or broken YAML: each is refused with exit 2 in one short line, quickly, without a
traceback and without taking the machine's memory."""

import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO, TINY, write_config
from dlkit.config import load_config
from helpers.hostile_config import refusal

#: 9 levels of 9 aliases each: 9^9 (387 million) values from about 500 bytes ("billion laughs").
BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    + ["name: bomb", "data: {dataset: digits}", "model: {layers: *a8}"]
)


def test_an_alias_bomb_is_refused_quickly_in_bounded_memory(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(BOMB + "\n")
    assert len(path.read_bytes()) < 600
    # The validate path has no TensorFlow, so a 1.5 GB address-space limit is plenty for it.
    limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))"
    code = f"{limit}; import sys; sys.argv = ['dlkit', 'validate', {str(path)!r}]; from dlkit.cli import main; main()"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode == 2, done.stderr[-500:]
    assert done.stderr.strip() == (
        f"dlkit: error: {path}: the YAML expands to more than 100,000 values through aliases"
    )
    assert elapsed < 10


def test_aliases_within_bounds_are_read(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        textwrap.dedent("""\
        name: shared
        data: {dataset: digits}
        model:
          layers:
            - flatten
            - &hidden {type: dense, units: 16, activation: relu}
            - *hidden
            - {type: dense, units: 10, activation: softmax}
        """)
    )
    assert [layer.type_name for layer in load_config(path).model.layers] == ["flatten", "dense", "dense", "dense"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: " + "[" * 5000 + "]" * 5000, "config.yaml:1: nested deeper than 100 levels"),
        (
            # Each alias nests its anchor 95 levels deeper: shallow as written, deep as read.
            "\n".join(
                [f"c0: &c0 {'[' * 95}1{']' * 95}"] + [f"c{i}: &c{i} {'[' * 95}*c{i - 1}{']' * 95}" for i in range(1, 4)]
            ),
            "config.yaml: the YAML nests deeper than 100 levels through aliases",
        ),
        ("a: &a [1, *a]", "config.yaml: the YAML expands to more than 100,000 values through aliases"),
        ("name: a\x00b", "config.yaml:1: invalid YAML: character #x0000: special characters are not allowed"),
    ],
    ids=["brackets", "alias-depth", "alias-cycle", "nul"],
)
def test_deep_or_endless_yaml_is_refused(tmp_path, cli, text, message):
    path = tmp_path / "config.yaml"
    path.write_text(text + "\n")
    assert refusal(cli("validate", path)) == f"dlkit: error: {tmp_path}/{message}"


def test_a_file_that_is_not_utf8_names_the_byte_and_line(tmp_path, cli):
    path = tmp_path / "config.yaml"
    path.write_bytes("name: tiny\ndata: {dataset: digits}  # caf\u00e9\n".encode("latin-1"))
    line = refusal(cli("validate", path))
    assert line == f"dlkit: error: {path}:2: not UTF-8 text (byte 0xe9 at position 41); save the file as UTF-8"


def test_a_set_value_is_bounded_as_a_file_is(tmp_path, cli):
    path = write_config(tmp_path, TINY)
    bomb = "{" + BOMB.replace("\n", ", ").replace(
        "name: bomb, data: {dataset: digits}, model: {layers: *a8}", "b: *a8}"
    )
    line = refusal(cli("validate", path, "--set", f"data.options={bomb}"))
    assert line == "dlkit: error: --set data.options: the YAML expands to more than 100,000 values through aliases"
