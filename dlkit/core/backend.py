"""Choosing Keras's backend, importing TensorFlow/Keras quietly, and seeding. Everything else
imports Keras through here."""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import os
import sys

from dlkit.core.errors import ConfigError, DlkitError, UsageError

#: Set to 1 to see TensorFlow's own start-up logging.
VERBOSE_ENV = "DLKIT_TF_LOGS"
#: The Keras backends dlkit runs on, each with the module it imports (and `pip install "dlkit[<name>]"`),
#: in the order a config that names none (nor $KERAS_BACKEND) takes the first installed.
BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
#: The backend of run folders from before run.json named it.
LEGACY_BACKEND = "tensorflow"
#: What installs TensorFlow (and what a feature that needs it says to run).
TENSORFLOW_EXTRA = 'pip install "dlkit[tensorflow]"'


def installed(name: str) -> bool:
    """Whether backend `name`'s package can be imported here (found, not imported)."""
    try:
        return importlib.util.find_spec(BACKENDS[name]) is not None
    except (ImportError, ValueError):  # a finder refusing it, or a half-removed package
        return False


@functools.cache
def has_tensorflow() -> bool:
    """Whether TensorFlow is installed: then dlkit's input pipelines are tf.data's, whatever the
    backend; without it Keras PyDatasets (`dlkit.data.batches`), and what needs it is refused."""
    return installed("tensorflow")


def default_backend() -> str:
    """The backend of a config and an environment that name none: the first of BACKENDS installed."""
    for name in BACKENDS:
        if installed(name):
            return name
    raise UsageError(f'no Keras backend is installed here: {TENSORFLOW_EXTRA} (or "dlkit[jax]", "dlkit[torch]")')


def _default_environment() -> None:
    """$KERAS_BACKEND, where unset, to the default backend, before Keras is imported."""
    if not os.environ.get("KERAS_BACKEND"):
        os.environ["KERAS_BACKEND"] = default_backend()


@contextlib.contextmanager
def quiet_tensorflow():
    """TensorFlow's native logging off (fd 2 hidden) while importing code that may import it (a
    plug-in) or while its converters and interpreters run, unless DLKIT_TF_LOGS=1. What was
    printed is shown if the code fails."""
    if os.environ.get(VERBOSE_ENV) == "1":
        yield
        return
    _default_environment()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        yield


@contextlib.contextmanager
def _stderr_silenced():
    """TF's C++ lines bypass TF_CPP_MIN_LOG_LEVEL, so hide fd 2 while it works; if it fails
    (other than with a user's error, told in one line), what it printed is shown after all."""
    import tempfile  # (here: `dlkit --help` imports this module)

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException as e:
            os.dup2(saved, 2)
            if not isinstance(e, DlkitError):  # the user's mistake is told in one line
                sink.seek(0)
                sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


#: Packages TensorFlow and Keras import at start-up only in case a user passes their objects
#: (DataFrames to `fit`, scikit-learn wrappers, matplotlib galleries, SciPy sparse matrices to
#: TF's legacy Keras): about 1.5 of the 4.7 CPU seconds `import keras` takes here. dlkit gives Keras
#: arrays and tensors only, and imports these itself where it uses them. The packages of the
#: backends not in use are deferred too (`_other_backend`).
DEFERRED = ("pandas", "sklearn", "scipy", "matplotlib")


class _Deferred:
    """A meta-path finder refusing the DEFERRED packages to the module-level code of
    TensorFlow's and Keras's own modules, which import each in `try: ... except ImportError`.
    Any other import of them (dlkit's, a plug-in's, Keras's inside a function) is untouched, and
    one already imported is found in `sys.modules` before any finder is asked."""

    def find_spec(self, name, path, target=None):
        if name not in DEFERRED and not _other_backend(name):
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back  # the import machinery's own frames
        if frame is None or frame.f_code.co_name != "<module>":
            return None
        importer = frame.f_globals.get("__name__", "")
        if importer.partition(".")[0] in ("keras", "tensorflow"):
            raise ModuleNotFoundError(f"dlkit defers {name} in Keras's start-up", name=name)
        return None


def _other_backend(name: str) -> bool:
    """Whether `name` is the package of a backend other than the one Keras imports with: TensorFlow
    Lite's start-up imports JAX where it is installed (0.5-0.8 s here) for a converter dlkit never
    calls, whichever backend runs."""
    return name in BACKENDS and name != "tensorflow" and name != os.environ.get("KERAS_BACKEND", "tensorflow")


def defer_optional_imports() -> None:
    """Install `_Deferred` (once) for the dlkit process: the command line calls it first."""
    if not any(isinstance(finder, _Deferred) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Deferred())


#: The backend this process chose (`choose_backend`), None before it chose.
_chosen: str | None = None


def backend_versions(backend: str) -> dict[str, str]:
    """{backend: version} of a backend other than TensorFlow (whose version dlkit always
    reports); {} for TensorFlow."""
    if backend == "tensorflow":
        return {}
    return {backend: importlib.import_module(BACKENDS[backend]).__version__}


def running_backend() -> str | None:
    """The backend Keras runs on in this process, None before Keras is imported."""
    module = sys.modules.get("keras")
    config = getattr(module, "config", None)
    return config.backend() if config is not None else None


def chosen_backend() -> str | None:
    """The backend of this process: the one Keras runs on, else the one chosen; None before either."""
    return running_backend() or _chosen


def choose_backend(name: str | None = None, where: str = "backend") -> str:
    """Make `name` (else $KERAS_BACKEND, else `default_backend`) the backend Keras imports with, and
    return it. Refused in one line (exit 2, `where` naming the key, option or file that asked): a
    name that is no dlkit backend, one that is not installed (with the extra that installs it), or
    one other than the backend this process chose or runs Keras on (Keras takes one per process)."""
    global _chosen
    if name is None and os.environ.get("KERAS_BACKEND"):
        name, where = os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    name = name or default_backend()
    if name not in BACKENDS:
        raise ConfigError(f"{where}: {name!r} is no backend dlkit runs on; one of {', '.join(BACKENDS)}")
    current = chosen_backend()
    if current is not None and current != name:
        raise UsageError(
            f"{where}: {name} asked for, but this process already runs Keras on {current} "
            "(one backend per process): run the command again in a process of its own"
        )
    if current is None and not installed(name):
        raise UsageError(f'{where}: {name} is not installed here; pip install "dlkit[{name}]"')
    os.environ["KERAS_BACKEND"] = _chosen = name
    return name


def keras():
    """The `keras` module on the chosen backend (`choose_backend`; `default_backend` when none was),
    with TensorFlow imported beside it where installed, for dlkit's tf.data pipelines; start-up
    noise off unless DLKIT_TF_LOGS=1."""
    tensorflow = has_tensorflow()
    if "keras" in sys.modules and ("tensorflow" in sys.modules or not tensorflow):
        return sys.modules["keras"]
    _default_environment()
    verbose = os.environ.get(VERBOSE_ENV) == "1"
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with contextlib.nullcontext() if verbose else _stderr_silenced():
        import keras as keras_module

        tf = importlib.import_module("tensorflow") if tensorflow else None
    if not verbose and tf is not None:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
        tf.get_logger().setLevel("ERROR")
    return keras_module


#: The kinds of object Keras's saving walks, each with a set of attributes it skips.
_SAVEABLE_KINDS = ("Operation", "Layer", "Functional", "Sequential", "Metric", "Optimizer", "Loss")


def fast_saving() -> None:
    """Keras 3.15's `saving_lib.get_attr_skipset` stores each kind's set under
    `saving_attr_skipset_<kind>` but looks it up under `saving_attr_skiplist_<kind>`, so every
    `model.save` builds them again, instantiating a Layer, an Optimizer, a Metric... each time:
    0.30 of 0.84 s in 8 checkpoints of the quickstart model. This stores them where Keras looks,
    once per thread and Keras session. Keras's private API: tests/unit/core/test_fast_saving.py
    fails when Keras changes it."""
    from keras.src.backend.common import global_state
    from keras.src.saving import saving_lib

    for kind in _SAVEABLE_KINDS:
        key = f"saving_attr_skiplist_{kind}"
        if global_state.get_global_attribute(key) is None:
            global_state.set_global_attribute(key, saving_lib.get_attr_skipset(kind))


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Python, NumPy and the backend's seeds; with `deterministic`, the backend's ops are too (same
    config, same metrics). JAX's are on the CPU as they are; TensorFlow and PyTorch are told to be."""
    k = keras()
    k.utils.set_random_seed(seed)
    if not deterministic:
        return
    if k.config.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif k.config.backend() == "torch":
        import torch

        # PyTorch's deterministic mode refuses cuBLAS on a GPU without this workspace setting
        # (read when CUDA starts: before the model's first op).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)


def check_string_inputs(model) -> None:
    """Refuse (ConfigError, before the run folder) a model that takes strings on a backend other
    than TensorFlow: its tensors alone hold them (JAX and PyTorch take numbers only)."""
    k = keras()
    names = [t.name for t in model.inputs if k.backend.standardize_dtype(t.dtype) == "string"]
    if names and k.config.backend() != "tensorflow":
        raise ConfigError(
            f"data: the model takes {', '.join(names)} as strings (text or category columns), which only the "
            f"TensorFlow backend's tensors hold; the backend is {k.config.backend()}: train with --backend tensorflow"
        )


def takes_columns(model) -> bool:
    """Whether the model takes a dict of inputs by name (a table's columns), not one array."""
    return isinstance(model.input, dict) or len(model.inputs) > 1


def model_function(model):
    """`examples -> outputs` (numpy) through one compiled function for batches of any size:
    `model.predict` costs milliseconds of set-up per call. Examples as the model takes them: one
    array, or a dict of arrays by input name."""
    import numpy as np

    backend = keras().config.backend()
    if backend == "jax":
        return _jax_function(model)
    if backend == "torch":
        import torch

        def run(examples):
            with torch.no_grad():
                return keras().ops.convert_to_numpy(model(examples, training=False))

        return run
    import tensorflow as tf

    specs = {t.name: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=t.name) for t in model.inputs}
    signature = [specs] if takes_columns(model) else [next(iter(specs.values()))]
    function = tf.function(lambda x: model(x, training=False), input_signature=signature, reduce_retracing=True)
    return lambda examples: np.asarray(function(examples))


def _jax_function(model):
    """`model_function` on JAX: the model's stateless call, jitted (once per batch shape), on the
    values its variables hold when called (a reloaded model's too)."""
    import jax
    import numpy as np

    @jax.jit
    def function(trainable, non_trainable, examples):
        return model.stateless_call(trainable, non_trainable, examples, training=False)[0]

    def run(examples):
        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        return np.asarray(function(trainable, non_trainable, examples))

    return run
