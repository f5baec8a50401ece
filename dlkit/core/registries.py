"""Every registry root, one line each (mmengine's `registry/root.py` shape): the modules that
register entries import their root from here, and a root imports them (its `locations`) only when
an entry is first looked up, so a config can name a task, a loss or an export format without
importing the package that implements it; for a root spread over several modules, only the module
that registers the name looked up (`INDEX`, see `dlkit.core.registry`). `REGISTRIES` is the table
`dlkit list` shows. Importing this loads no TensorFlow."""

import json
from pathlib import Path

from dlkit.core.registry import Registry

#: Registry listing -> {name or alias: the module registering it}; `python -m dlkit.core.registry_index`
#: writes it, tests/unit/core/test_registry_index.py checks it.
INDEX: dict[str, dict[str, str]] = json.loads(Path(__file__).with_name("registry_index.json").read_text())

# What a model learns: every module of dlkit.tasks registers one (a new task is a new file).
TASKS = Registry("task", "tasks", locations=("dlkit.tasks.*",), index=INDEX.get("tasks"))
# `model.layers`: every Keras layer by name, dlkit's own, and the wrappers.
LAYERS = Registry("layer", "layers", locations=("dlkit.layers",))
# `data.dataset`: the loaders, these modules of dlkit.data (the rest of it is the data pipeline).
LOADERS = "digits image_folder keras_datasets keras_words npz segmentation_folder sequence sklearn_sets table text"
DATASETS = Registry(
    "dataset", "datasets", locations=tuple(f"dlkit.data.{m}" for m in LOADERS.split()), index=INDEX.get("datasets")
)
# `data.preprocess` and `data.augment`: steps applied in training and at predict time.
PREPROCESS = Registry("preprocessing step", "preprocess", locations=("dlkit.data.preprocess",))
# `train.callbacks`.
CALLBACKS = Registry("callback", "callbacks", locations=("dlkit.components.callbacks",))
# `train.optimizer`.
OPTIMIZERS = Registry("optimizer", "optimizers", locations=("dlkit.components.optimizers",))
# `train.lr_schedule`.
SCHEDULES = Registry("learning-rate schedule", "schedules", locations=("dlkit.components.schedules",))
# `train.loss`.
LOSSES = Registry("loss", "losses", locations=("dlkit.components.losses",))
# `train.metrics`.
METRICS = Registry("metric", "metrics", locations=("dlkit.components.metrics",))
# `tune.space`: how a searched value is drawn.
DISTRIBUTIONS = Registry("search distribution", "distributions", locations=("dlkit.components.distributions",))
# `tune.sampler`.
SAMPLERS = Registry("sampler", "samplers", locations=("dlkit.components.search",))
# `tune.pruner`.
PRUNERS = Registry("pruner", "pruners", locations=("dlkit.components.search",))
# What `dlkit predict` reads for a run's kind of input (images, table rows, texts, windows).
INPUTS = Registry("input kind", "inputs", locations=("dlkit.predict.inputs",))
# `dlkit export --format`: every module of dlkit.export.formats registers one.
FORMATS = Registry("export format", "formats", locations=("dlkit.export.formats.*",), index=INDEX.get("formats"))
# `dlkit attack --method` and `train.adversarial`.
ATTACKS = Registry("attack", "attacks", locations=("dlkit.components.attacks",))
# What a training run does beyond fitting, each switched on by its own config section (`train.prune`,
# `train.distill`, ...): dlkit's own, not named in a config and not in `dlkit list` (docs/extending.md).
ADDONS = Registry("training add-on", "addons", locations=("dlkit.training.addons.*",), index=INDEX.get("addons"))

#: Every registry by its `dlkit list` name, in the order `dlkit list` shows them.
REGISTRIES: dict[str, Registry] = {
    r.listing: r
    for r in (
        TASKS,
        LAYERS,
        DATASETS,
        PREPROCESS,
        CALLBACKS,
        OPTIMIZERS,
        SCHEDULES,
        LOSSES,
        METRICS,
        DISTRIBUTIONS,
        SAMPLERS,
        PRUNERS,
        INPUTS,
        FORMATS,
        ATTACKS,
    )  # fmt: skip
}
