"""Every registry by its `dlkit list` name. Importing this loads no TensorFlow."""

from dlkit.attack import ATTACKS
from dlkit.data import DATASETS, PREPROCESS
from dlkit.export import FORMATS
from dlkit.layers import LAYERS
from dlkit.predict_inputs import INPUTS
from dlkit.registry import Registry
from dlkit.tasks import TASKS
from dlkit.training.callbacks import CALLBACKS
from dlkit.training.losses import LOSSES
from dlkit.training.metrics import METRICS
from dlkit.training.optimizers import OPTIMIZERS
from dlkit.training.schedules import SCHEDULES
from dlkit.tuning.distributions import DISTRIBUTIONS
from dlkit.tuning.strategies import PRUNERS, SAMPLERS

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
