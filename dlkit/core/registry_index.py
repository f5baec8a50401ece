"""Writes `registry_index.json`: for each registry spread over several modules, which module
registers each name and alias, so that looking up one name imports that module only (see
`dlkit.core.registry`). Run it after adding or renaming a built-in entry:

    python -m dlkit.core.registry_index

tests/unit/core/test_registry_index.py fails while the file differs from what the modules register.
"""

from __future__ import annotations

import json
from pathlib import Path

from dlkit.core.registry import Registry

PATH = Path(__file__).with_name("registry_index.json")


def current() -> dict[str, dict[str, str]]:
    """What the modules register now (run it in a fresh process: a plug-in's entries are not dlkit's)."""
    from dlkit.core import registries

    index = {}
    for registry in vars(registries).values():
        if isinstance(registry, Registry) and len(registry.modules()) > 1:
            index[registry.listing] = {
                spelling: registry.module_of(name)
                for name, _, aliases in registry.describe()
                for spelling in (name, *aliases)
            }
    return dict(sorted(index.items()))


if __name__ == "__main__":
    PATH.write_text(json.dumps(current(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {PATH}")
