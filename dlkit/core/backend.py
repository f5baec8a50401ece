"""Importing TensorFlow/Keras quietly, and seeding. Everything else imports Keras through here."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from dlkit.core.errors import DlkitError

#: Set to 1 to see TensorFlow's own start-up logging.
VERBOSE_ENV = "DLKIT_TF_LOGS"


@contextlib.contextmanager
def quiet_tensorflow():
    """TensorFlow's native logging off (fd 2 hidden) while importing code that may import it (a
    plug-in) or while its converters and interpreters run, unless DLKIT_TF_LOGS=1. What was
    printed is shown if the code fails."""
    if os.environ.get(VERBOSE_ENV) == "1":
        yield
        return
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        yield


@contextlib.contextmanager
def _stderr_silenced():
    """TF's C++ lines bypass TF_CPP_MIN_LOG_LEVEL, so hide fd 2 while it works; if it fails
    (other than with a user's error, told in one line), what it printed is shown after all."""
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
#: arrays and tensors only, and imports these itself where it uses them.
DEFERRED = ("pandas", "sklearn", "scipy", "matplotlib")


class _Deferred:
    """A meta-path finder refusing the DEFERRED packages to the module-level code of
    TensorFlow's and Keras's own modules, which import each in `try: ... except ImportError`.
    Any other import of them (dlkit's, a plug-in's, Keras's inside a function) is untouched, and
    one already imported is found in `sys.modules` before any finder is asked."""

    def find_spec(self, name, path, target=None):
        if name not in DEFERRED:
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


def defer_optional_imports() -> None:
    """Install `_Deferred` (once) for the dlkit process: the command line calls it first."""
    if not any(isinstance(finder, _Deferred) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Deferred())


def keras():
    """The `keras` module, TensorFlow backend, with start-up noise off unless DLKIT_TF_LOGS=1."""
    if "keras" in sys.modules and "tensorflow" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    verbose = os.environ.get(VERBOSE_ENV) == "1"
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with contextlib.nullcontext() if verbose else _stderr_silenced():
        import keras as keras_module
        import tensorflow as tf
    if not verbose:
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
    """Python, NumPy and TF seeds; with `deterministic`, TF ops are too (same config, same metrics)."""
    k = keras()
    k.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def takes_columns(model) -> bool:
    """Whether the model takes a dict of inputs by name (a table's columns), not one array."""
    return isinstance(model.input, dict) or len(model.inputs) > 1


def model_function(model):
    """`examples -> outputs` (numpy) through one compiled function for batches of any size:
    `model.predict` costs milliseconds of set-up per call. Examples as the model takes them: one
    array, or a dict of arrays by input name."""
    import numpy as np
    import tensorflow as tf

    specs = {t.name: tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=t.name) for t in model.inputs}
    signature = [specs] if takes_columns(model) else [next(iter(specs.values()))]
    function = tf.function(lambda x: model(x, training=False), input_signature=signature, reduce_retracing=True)
    return lambda examples: np.asarray(function(examples))
