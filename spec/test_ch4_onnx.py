"""四、TensorFlow常用模块 / （一）变量的保存与恢复：tf.train.Checkpoint: "如果需要导出模型（无需源代码也能运行模型），
需要将之导出为特定格式的模型，如ONNX模型". The book's MLP (spec.models_keras, subclassed as in 三（二）) is
exported to ONNX with tf2onnx (extra `onnx`) from the Keras model and from a tf.function with an input
signature, and each file is run with onnxruntime in a fresh interpreter that can import neither the
checkout (so not the model's class) nor TensorFlow; its outputs are compared with the Keras model's.

The book names no converter or route. tf2onnx's from_keras on a Keras 3 *Sequential* (not the book's
subclassed MLP) fails with a KeyError (onnx/tensorflow-onnx#2448); that route is recorded as a note.
"""
from __future__ import annotations

import importlib
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_close
from spec.models_keras import MLP
from spec.subprocesses import describe, run_python

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONNX_EXTRA = "install the `onnx` extra (pip install '.[onnx]': tf2onnx, onnxruntime)"
OPSET = 13
ATOL = 1e-6  # softmax outputs in [0, 1]: float32 rounding of a 784-100-10 network stays far below this
SIGNATURE = (tf.TensorSpec([None, 28, 28, 1], tf.float32, name="inputs"),)
REPORT_MARK = "handbook-spec onnx child: "

_RUN_IN_ONNXRUNTIME = """
import importlib.util, json, os, sys
config = json.loads({config!r})
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != config["root"]]
import numpy as np
import onnxruntime as ort
x = np.load(config["inputs"])
report = {{"spec_importable": importlib.util.find_spec("spec") is not None, "onnxruntime": ort.__version__,
          "outputs": {{}}}}
for name, path in config["models"].items():
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (entry,) = session.get_inputs()
    (y,) = session.run(None, {{entry.name: x}})
    np.save(path + ".out.npy", y)
    report["outputs"][name] = [entry.name, [str(d) for d in entry.shape], path + ".out.npy"]
report["tensorflow_imported"] = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow."))
print({mark!r} + json.dumps(report), flush=True)
"""


def tf2onnx_module():
    for name in ("tf2onnx", "onnxruntime"):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            pytest.skip(f"{name} is not installed ({exc}); {ONNX_EXTRA}")
    return importlib.import_module("tf2onnx")


def sequential_route_note(tf2onnx, tmp_path) -> str:
    """from_keras on the same layers as a Sequential: works on Keras 2, KeyError on Keras 3 (#2448)."""
    model = tf.keras.Sequential([tf.keras.Input(shape=(28, 28, 1)), tf.keras.layers.Flatten(),
                                 tf.keras.layers.Dense(100, activation="relu"), tf.keras.layers.Dense(10),
                                 tf.keras.layers.Softmax()])
    try:
        tf2onnx.convert.from_keras(model, input_signature=SIGNATURE, opset=OPSET,
                                   output_path=str(tmp_path / "sequential.onnx"))
    except Exception as exc:  # noqa: BLE001 - the note is whatever the converter raises
        return f"{type(exc).__name__}: {str(exc)[:200]} (onnx/tensorflow-onnx#2448)"
    return "converted"


@pytest.mark.subprocess
@pytest.mark.claim("checkpoint.onnx-for-export")
def test_onnx_export_runs_without_the_source_or_tensorflow(tmp_path, seed, measured):
    tf2onnx = tf2onnx_module()
    tf.keras.utils.set_random_seed(seed)
    model = MLP()
    inputs = np.random.default_rng(seed).random((16, 28, 28, 1), dtype=np.float32)
    expected = model(inputs).numpy()
    models = {"from_keras": str(tmp_path / "mlp_from_keras.onnx"), "from_function": str(tmp_path / "mlp_function.onnx")}
    tf2onnx.convert.from_keras(model, input_signature=SIGNATURE, opset=OPSET, output_path=models["from_keras"])
    serve = tf.function(lambda x: model(x), input_signature=SIGNATURE)
    tf2onnx.convert.from_function(serve, input_signature=SIGNATURE, opset=OPSET, output_path=models["from_function"])
    np.save(tmp_path / "inputs.npy", inputs)

    config = json.dumps({"root": os.path.realpath(ROOT), "inputs": str(tmp_path / "inputs.npy"), "models": models})
    child = run_python(_RUN_IN_ONNXRUNTIME.format(config=config, mark=REPORT_MARK))
    lines = [line[len(REPORT_MARK):] for line in child.stdout.splitlines() if line.startswith(REPORT_MARK)]
    assert child.returncode == 0 and lines, "onnxruntime in the fresh interpreter failed\n" + describe(child)
    report = json.loads(lines[-1])
    measured("converter", f"tf2onnx {tf2onnx.__version__}, opset {OPSET}; onnxruntime {report['onnxruntime']}")
    measured("from_keras on a Sequential of the same layers", sequential_route_note(tf2onnx, tmp_path),
             note="not the book's route: the book's MLP is subclassed")
    assert report["spec_importable"] is False, "the child could import `spec`: the model's source was reachable"
    assert report["tensorflow_imported"] == [], f"the child imported TensorFlow: {report['tensorflow_imported']}"
    for route, (input_name, shape, out) in report["outputs"].items():
        got = np.load(out)
        measured(f"{route}: max |onnxruntime − Keras|", float(np.abs(got - expected).max()))
        assert shape[1:] == ["28", "28", "1"], f"{route}: ONNX input {input_name} of shape {shape}"
        assert got.dtype == np.float32 and got.shape == expected.shape, (route, got.dtype, got.shape)
        assert_close(got, expected, rtol=0, atol=ATOL, what=f"{route}: onnxruntime outputs of the exported MLP")
        assert np.array_equal(got.argmax(axis=1), expected.argmax(axis=1)), f"{route}: other predicted classes"
