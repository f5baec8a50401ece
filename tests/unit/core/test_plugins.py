"""User plug-ins without training: the worked examples are short; a plug-in that fails is one line."""

import re

from conftest import TINY, write_config
from helpers.plugins import DOC


def test_the_examples_are_short():
    blocks = re.findall(r"```python\n# file: .*?\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 2 and all(len(block.splitlines()) < 60 for block in blocks)


def test_a_plugin_that_fails_is_one_line_naming_it(tmp_path, cli):
    (tmp_path / "broken.py").write_text("import no_such_module\n")
    config = write_config(tmp_path, {**TINY, "plugins": ["broken.py"]})
    for result in (cli("validate", config), cli("list", "layers", "--plugin", tmp_path / "broken.py")):
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1, result.stderr
        assert "broken.py: the plug-in failed to import: ModuleNotFoundError" in lines[0]
    missing = cli("validate", write_config(tmp_path, {**TINY, "plugins": ["nowhere.py"]}))
    assert missing.exit_code == 2 and "plugins.0: " in missing.stderr and "nowhere.py" in missing.stderr
