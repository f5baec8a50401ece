"""Each dataset loader's options (`data.options`) with types, defaults and one line each, read off
the loaders' config models: `dlkit list datasets --options NAME` and `docs/datasets.md`.

Regenerate the page with `python -m dlkit.data.options > docs/datasets.md`; a test fails when it
is out of date."""

from __future__ import annotations

import dataclasses
import json

from dlkit.core.json_schema import first_sentence, model_schema, type_text
from dlkit.core.registries import DATASETS

REGENERATE = "python -m dlkit.data.options > docs/datasets.md"


#: Options renamed since a release, by dataset: old name -> new name. Configs must use the new
#: name (the old one is refused with a pointer to it); run folders of earlier versions are read
#: with their options renamed.
RENAMED = {"text_csv": {"label_column": "target"}}

#: Options added since a release whose default is not what earlier versions did, by dataset:
#: option -> the value that does it. A run folder of an earlier version is read with it.
ADDED = {"csv": {"duplicates": "drop"}}


def upgrade(data: dict) -> None:
    """Rename, in place, the old options of a run folder's config of an earlier version, and add
    those that keep what it did."""
    section = data.get("data")
    if not isinstance(section, dict) or not isinstance(section.get("options"), dict):
        return
    for old, new in RENAMED.get(str(section.get("dataset")), {}).items():
        if old in section["options"] and new not in section["options"]:
            section["options"][new] = section["options"].pop(old)
    for key, value in ADDED.get(str(section.get("dataset")), {}).items():
        section["options"].setdefault(key, value)


@dataclasses.dataclass
class Option:
    key: str
    type: str
    #: The default as YAML would show it, or `required`.
    default: str
    about: str


def options(name: str) -> list[Option]:
    """The options of the dataset `name` (any spelling the registry takes), in declaration order."""
    schema = model_schema(DATASETS.get(name))
    required = set(schema.get("required", []))
    found = []
    for key, prop in schema["properties"].items():
        default = "required" if key in required else json.dumps(prop.get("default"))
        found.append(Option(key, type_text(prop), default, first_sentence(prop.get("description", ""))))
    # Required options first; those every dataset has for regression targets last.
    shared = ("scale_target", "target_transform")
    return sorted(found, key=lambda option: (option.key in shared, option.default != "required"))


def markdown() -> str:
    """docs/datasets.md: every built-in dataset, its summary and its options table."""
    lines = [
        "# Dataset options",
        "",
        "What `data.options` takes for each dataset (`dlkit list datasets --options NAME` shows the same).",
        f"Generated from the loaders' config models by `{REGENERATE}`; do not edit by hand.",
    ]
    for name, summary, aliases in DATASETS.describe():
        lines += ["", f"## {name}", ""]
        if summary:
            lines += [summary + (f" (also `{'`, `'.join(aliases)}`)" if aliases else ""), ""]
        lines += ["| option | type | default | what it is |", "| --- | --- | --- | --- |"]
        for option in options(name):
            cells = [f"`{option.key}`", option.type, option.default, option.about]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
