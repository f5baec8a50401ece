"""`dlkit export`'s formats: a missing extra is named."""

from __future__ import annotations

import pytest


def test_a_missing_extra_is_named(monkeypatch):
    import importlib.util

    from dlkit.core.errors import UsageError
    from dlkit.export.exporter import check_format

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(UsageError, match=r'--format onnx needs onnxruntime: pip install "dlkit\[export\]"'):
        check_format("onnx", None)
    check_format("saved_model", "int8")  # TensorFlow's own: no extra
