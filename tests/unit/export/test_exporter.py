"""`dlkit export`'s formats: each converts on the backend it needs (ONNX on the run's own, SavedModel
and LiteRT on TensorFlow), and a missing extra is named for that backend."""

from __future__ import annotations

import importlib.util
import json

import pytest

from dlkit.core.errors import UsageError
from dlkit.export.exporter import check_format


def _run(folder, backend: str | None):
    folder.mkdir(exist_ok=True)
    record = {"status": "completed", "input": {"kind": "image"}} | ({"backend": backend} if backend else {})
    (folder / "run.json").write_text(json.dumps(record))
    return folder


def _without(monkeypatch, missing: str) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a))


def test_a_missing_extra_is_named(monkeypatch, tmp_path):
    _without(monkeypatch, "onnxruntime")
    with pytest.raises(UsageError, match=r'--format onnx needs onnxruntime: pip install "dlkit\[export\]"'):
        check_format("onnx", None, _run(tmp_path / "old", None))  # a run older than the backend choice: TensorFlow's
    check_format("saved_model", "int8", tmp_path)  # TensorFlow's own: no extra


def test_onnx_converts_on_the_runs_backend_the_others_on_tensorflow(monkeypatch, tmp_path):
    from dlkit.core import backend

    monkeypatch.setattr(backend, "_chosen", None)
    monkeypatch.setattr(backend, "running_backend", lambda: None)  # as a fresh `dlkit export` process
    jax_run, torch_run = _run(tmp_path / "jax", "jax"), _run(tmp_path / "torch", "torch")
    _without(monkeypatch, "jax2onnx")
    with pytest.raises(UsageError, match=r'^--format onnx of a jax run needs jax2onnx: pip install "dlkit\[jax\]"$'):
        check_format("onnx", None, jax_run)
    assert check_format("onnx", "dynamic", torch_run).backend(torch_run) == "torch"
    for format in ("saved_model", "litert"):
        assert check_format(format, None, jax_run).backend(jax_run) == "tensorflow"


def test_a_process_running_keras_converts_onnx_on_its_own_backend(tmp_path):
    """A .keras file loads on any backend: this process runs TensorFlow's Keras (tf2onnx converts)."""
    import keras  # noqa: F401

    jax_run = _run(tmp_path / "jax", "jax")
    assert check_format("onnx", None, jax_run).backend(jax_run) == "tensorflow"
