"""jax2onnx (0.17) writes Keras's pooling on JAX (`lax.reduce_window_max` over an NHWC tensor, its
window 1 on the batch and the channels) as one MaxPool over every axis of the tensor, which
onnxruntime refuses ("Unsupported pooling size": ONNX's MaxPool pools 1 to 3 spatial axes of an
NC... tensor). Such a node is rewritten as that tensor turned channels-first, pooled over its
spatial axes alone, and turned back: the same values (the export's parity report checks them)."""

from __future__ import annotations

#: The most spatial axes onnxruntime's MaxPool takes.
MAX_POOLED_AXES = 3


def fix_pooling(model) -> int:
    """Rewrite, in the ONNX `model` (a ModelProto), each MaxPool over a whole channels-last tensor;
    how many were rewritten."""
    graph = model.graph
    nodes, fixed = [], 0
    for node in graph.node:
        rewritten = _rewrite(node, graph) if node.op_type == "MaxPool" else None
        nodes.extend(rewritten or [node])
        fixed += rewritten is not None
    if fixed:
        del graph.node[:]
        graph.node.extend(nodes)
    return fixed


def _rewrite(node, graph):
    """The nodes replacing one MaxPool over (1, 1, N, *spatial, C) with more axes than onnxruntime
    pools, else None (a MaxPool onnxruntime runs, or one this does not know how to turn)."""
    import numpy as np
    from onnx import helper, numpy_helper

    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    kernel = list(attributes["kernel_shape"])
    rank = len(kernel)  # the tensor's own rank, N and C included
    strides = list(attributes.get("strides", [1] * rank))
    pads = list(attributes.get("pads", [0] * 2 * rank))
    dilations = list(attributes.get("dilations", [1] * rank))
    edges = (0, rank - 1)  # N and C
    if rank <= MAX_POOLED_AXES or rank - 2 > MAX_POOLED_AXES:  # onnxruntime runs it; or no NC... form has as many
        return None
    if any(kernel[i] != 1 or strides[i] != 1 for i in edges):
        return None
    if any(pads[i] or pads[i + rank] or dilations[i] != 1 for i in edges):
        return None
    if set(attributes) - {"kernel_shape", "strides", "pads", "dilations"}:
        return None  # ceil_mode, auto_pad, storage_order: not what jax2onnx writes
    name = node.name or node.output[0]
    axes = numpy_helper.from_array(np.array([0, 1], "int64"), f"{name}/outer_axes")
    graph.initializer.append(axes)
    spatial, inner, outer = slice(1, rank - 1), range(1, rank - 1), range(2, rank)
    names = [f"{name}/{step}" for step in ("nhwc", "nchw", "pooled", "pooled_nhwc")]
    return [
        helper.make_node("Squeeze", [node.input[0], axes.name], [names[0]], name=f"{name}/squeeze"),
        helper.make_node("Transpose", [names[0]], [names[1]], name=f"{name}/to_nchw", perm=[0, rank - 1, *inner]),
        helper.make_node(
            "MaxPool",
            [names[1]],
            [names[2]],
            name=f"{name}/pool",
            kernel_shape=kernel[spatial],
            strides=strides[spatial],
            pads=pads[spatial] + pads[rank + 1 : 2 * rank - 1],
            dilations=dilations[spatial],
        ),
        helper.make_node("Transpose", [names[2]], [names[3]], name=f"{name}/to_nhwc", perm=[0, *outer, 1]),
        helper.make_node("Unsqueeze", [names[3], axes.name], [node.output[0]], name=f"{name}/unsqueeze"),
    ]
