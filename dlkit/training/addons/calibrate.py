"""`eval.calibrate: temperature`, the last step of training: one temperature fitted on the
validation split's outputs (Guo et al. 2017), built into `model.keras` as its last layer so that
predict, export and serve all give the calibrated probabilities. The checkpoints keep the model as
trained, so `--resume` and `--extend-epochs` train on and calibrate again when they finish.
Imports Keras: load it lazily."""

from __future__ import annotations

from pathlib import Path

from dlkit.config import ExperimentConfig
from dlkit.core import calibration
from dlkit.core.backend import keras
from dlkit.core.registries import ADDONS
from dlkit.core.runs import MODEL, write_json
from dlkit.core.writing import inside
from dlkit.data.prepared import PreparedData
from dlkit.engine.score import predict
from dlkit.engine.task import task_of
from dlkit.model.saved import load_run_model, save_model
from dlkit.training.addons import Addon

#: Where the fitted temperature and the figures before and after it are kept.
CALIBRATION = "calibration.json"


@ADDONS.register("calibrate")
class Calibrate(Addon):
    """`eval.calibrate`: the finished model's probabilities calibrated on the validation split."""

    section = ("eval", "calibrate")

    def before_scoring(self, run_dir: Path, data: PreparedData) -> None:
        calibrate(run_dir, self.config, data)


def calibrate(run_dir: Path, config: ExperimentConfig, data: PreparedData) -> dict:
    """Fit the temperature of the run's `model.keras` (as trained) on the validation split,
    replace `model.keras` with the model ending in it, and write `calibration.json`: the
    temperature, and ECE and NLL before and after on the validation and test splits (computed here
    in float64 from the model's outputs; metrics.json's `ece` is the calibrated model's own)."""
    from dlkit.layers.custom import TemperatureScaling

    head = task_of(config).head
    from_logits = bool(getattr(config.train.loss, "from_logits", False))
    model = load_run_model(run_dir)
    names = [name for name in ("val", "test") if name in data.split_names()]
    outputs = {name: predict(model, data.split(name), config, data) for name in names}
    scores = {name: calibration.scores(outputs[name], head, from_logits) for name in names}
    temperature = calibration.fit_temperature(scores["val"], data.split("val").y, head)
    mode = "logits" if from_logits else head
    scaled = TemperatureScaling(temperature, mode, name="temperature_scaling")(model.output)
    save_model(keras().Model(model.input, scaled, name=model.name), inside(run_dir, MODEL))
    report = {
        "method": config.eval.calibrate,
        "temperature": temperature,
        "mode": mode,
        # `data.split.validation: test` validates on the test split: then T has seen the test figures.
        "fitted_on": "test" if config.data.split.validation == "test" else "val",
        **{name: calibration.figures(scores[name], data.split(name).y, head, temperature) for name in names},
    }
    write_json(inside(run_dir, CALIBRATION), report)
    return report
