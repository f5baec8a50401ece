"""jax2onnx's MaxPool over a whole channels-last tensor (as it writes Keras's pooling on JAX),
which onnxruntime refuses, rewritten to pool the spatial axes alone: the values of NHWC pooling."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from dlkit.export.formats.onnx_pooling import fix_pooling  # noqa: E402


def _as_jax2onnx_writes_it(kernel, strides, pads=None):
    """x (N, H, W, C) -> Unsqueeze to (1, 1, N, H, W, C) -> MaxPool over all four -> Squeeze."""
    axes = numpy_helper.from_array(np.array([0, 1], "int64"), "axes")
    pool = {"kernel_shape": kernel, "strides": strides} | ({"pads": pads} if pads else {})
    nodes = [
        helper.make_node("Unsqueeze", ["x", "axes"], ["wide"]),
        helper.make_node("MaxPool", ["wide"], ["pooled"], name="node_MaxPool_18", **pool),
        helper.make_node("Squeeze", ["pooled", "axes"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "pool",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6, 6, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [axes],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model, x):
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_a_pooling_onnxruntime_refuses_is_rewritten_to_the_same_values():
    x = np.random.default_rng(0).normal(size=(5, 6, 6, 3)).astype("float32")
    model = _as_jax2onnx_writes_it([1, 2, 2, 1], [1, 2, 2, 1])
    with pytest.raises(Exception, match="Unsupported pooling size"):
        _run(model, x)
    assert fix_pooling(model) == 1
    expected = x.reshape(5, 3, 2, 3, 2, 3).max(axis=(2, 4))  # 2x2 windows, stride 2, per channel
    np.testing.assert_array_equal(_run(model, x), expected)
    np.testing.assert_array_equal(_run(model, x[:1]), expected[:1])  # any batch size


def test_padding_and_strides_carry_over():
    x = np.random.default_rng(1).normal(size=(2, 6, 6, 3)).astype("float32")
    model = _as_jax2onnx_writes_it([1, 3, 3, 1], [1, 1, 1, 1], pads=[0, 1, 1, 0, 0, 1, 1, 0])
    fix_pooling(model)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))
    np.testing.assert_array_equal(_run(model, x), windows.max(axis=(-2, -1)))


def test_a_pooling_onnxruntime_runs_or_one_over_the_channels_is_left_alone():
    assert fix_pooling(_as_jax2onnx_writes_it([2, 2], [2, 2])) == 0  # NCHW's own, as tf2onnx and PyTorch write it
    assert fix_pooling(_as_jax2onnx_writes_it([1, 2, 2, 2], [1, 2, 2, 2])) == 0  # pools the channels too
