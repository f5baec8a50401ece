"""`train.track`: where a run is logged besides its run folder (an MLflow tracking server or store)."""

from __future__ import annotations

import importlib.util
from typing import Literal

from pydantic import model_validator

from dlkit.core.strict import Strict


class MlflowTrack(Strict):
    """Log the run to MLflow: the resolved config as parameters, each epoch's figures, the final
    metrics, the plots, `config.yaml` and `model.keras` as artifacts; a tune trial is a child run of
    its study's run."""

    type: Literal["mlflow"]
    uri: str = "./mlruns"
    """The tracking URI: a folder (MLflow's file store), `sqlite:///mlflow.db`, or a server
    (`http://host:5000`)."""
    experiment: str | None = None
    """The MLflow experiment; default: the config's `name`."""

    @model_validator(mode="after")
    def _installed(self) -> MlflowTrack:
        # Found without importing it: validating a config stays fast.
        if importlib.util.find_spec("mlflow") is None:
            raise ValueError("mlflow is not installed: pip install 'dlkit[mlflow]'")
        return self
