#!/usr/bin/env python3
"""Unpacks a Moonshine ONNX Runtime model's int8 weights to float32, once, at setup.

The .ort files that moonshine-cpp ships keep each weight matrix as int8 with a scale and offset, and
dequantise all of them (Cast, Mul, Add) on every run: for the decoder, which runs once per token, that is
most of its time. This folds each such chain into one float32 weight (the arithmetic the model would do
anyway, done once), so a decoder run is about 5x faster. The result is checked against the original on a
sample input before it is written.

Usage: unpack-moonshine.py <model.ort> <out.fp32.onnx>
"""
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ort.set_default_logger_severity(3)  # its note that an optimised model may be CPU-specific does not apply to basic rewrites


def to_onnx(ort_file, onnx_file):
    """ONNX Runtime reads the .ort file and writes the same graph back as ONNX (basic rewrites only)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = onnx_file
    ort.InferenceSession(ort_file, options)


def name_graphs(graph, name):
    """ONNX requires every graph to be named; the written If branches are not."""
    if not graph.name:
        graph.name = name
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                name_graphs(attribute.g, f"{graph.name}/{node.name}/{attribute.name}")


def fold_dequantisation(graph):
    """Replaces Cast(int8 weight) followed by Mul/Add/Sub with constants by the float32 result."""
    weights = {w.name: w for w in graph.initializer}
    readers = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    dropped, folded = set(), 0
    for node in list(graph.node):
        if node.op_type != "Cast" or node.input[0] not in weights:
            continue
        value = numpy_helper.to_array(weights[node.input[0]]).astype(np.float32)
        chain, output = [node], node.output[0]
        while True:
            next_nodes = readers.get(output, [])
            if len(next_nodes) != 1 or next_nodes[0].op_type not in ("Mul", "Add", "Sub"):
                break
            step = next_nodes[0]
            others = [name for name in step.input if name != output]
            if len(others) != 1 or others[0] not in weights:
                break
            constant = numpy_helper.to_array(weights[others[0]]).astype(np.float32)
            if step.op_type == "Mul":
                value = value * constant
            elif step.op_type == "Add":
                value = value + constant
            else:
                value = value - constant if step.input[0] == output else constant - value
            chain.append(step)
            output = step.output[0]
        if len(chain) < 2:
            continue
        graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), name=output))
        dropped.update(id(n) for n in chain)
        folded += 1
    kept = [n for n in graph.node if id(n) not in dropped]
    del graph.node[:]
    graph.node.extend(kept)
    used = {o.name for o in graph.output}

    def collect(g):
        for n in g.node:
            used.update(n.input)
            for attribute in n.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    collect(attribute.g)

    collect(graph)
    live = [w for w in graph.initializer if w.name in used]
    del graph.initializer[:]
    graph.initializer.extend(live)
    return folded


def sample_feeds(session):
    """An input for every model input: audio for the encoder; BOS, a sample encoder output and an empty cache for the decoder."""
    rng = np.random.RandomState(7)
    feeds = {}
    for spec in session.get_inputs():
        if spec.name == "input_values":
            feeds[spec.name] = (rng.randn(1, 32000) * 0.1).astype(np.float32)
        elif spec.name == "input_ids":
            feeds[spec.name] = np.array([[1]], dtype=np.int64)
        elif spec.name == "encoder_hidden_states":
            feeds[spec.name] = rng.randn(1, 80, 416).astype(np.float32)
        elif spec.name == "use_cache_branch":
            feeds[spec.name] = np.array([False])
        else:  # past key/values: [batch, heads, 0 positions, head size]
            feeds[spec.name] = np.zeros((1, spec.shape[1], 0, spec.shape[3]), np.float32)
    return feeds


def main():
    source, target = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as work:
        plain = os.path.join(work, "plain.onnx")
        to_onnx(source, plain)
        model = onnx.load(plain)
    name_graphs(model.graph, "moonshine")
    folded = fold_dequantisation(model.graph)
    onnx.save(model, target + ".tmp")
    before = ort.InferenceSession(source)
    after = ort.InferenceSession(target + ".tmp")
    feeds = sample_feeds(before)
    expected, got = before.run(None, feeds)[0], after.run(None, feeds)[0]
    difference = float(np.abs(expected - got).max())
    if difference > 1e-2 * max(1.0, float(np.abs(expected).max())):
        os.remove(target + ".tmp")
        sys.exit(f"{source}: unpacked model differs from the original by {difference}; keeping the original")
    os.replace(target + ".tmp", target)
    print(f"{os.path.basename(target)}: {folded} weights unpacked to float32 (largest output difference {difference:.1e})")


if __name__ == "__main__":
    main()
