"""`tiny(**changes)`: conftest's TINY with dotted changes (`model__layers__0__filtres=3`)."""

import copy

from conftest import TINY


def tiny(**changes):
    data = copy.deepcopy(TINY)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[int(last) if isinstance(node, list) else last] = value
    return data
