"""一、TensorFlow概述 / 特性: the deployment half of the feature list, run on the handbook's MLP and CNN
(spec.models_keras): SavedModel export and loading in a fresh process, the TensorFlow Serving
request format against the SavedModel's signature, TF Lite conversion and quantisation run with
the LiteRT interpreter, and TF Hub's KerasLayer over a local SavedModel (a tfhub.dev handle is a
network test). TF.js, the Serving server, TF Lite's GPU delegate and the Edge TPU are `untestable`
in the catalogue, with reasons.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import tensorflow as tf

from spec.assertions import assert_close, assert_exact
from spec.ch1_processes import (SERVING_INPUT, SERVING_OUTPUT, convert_in_a_child, exported_models, folder_bytes,
                                fresh_child)
from spec.models_keras import MLP, MNISTLoader, evaluate_as_written, train_as_written

MODELS = ["mlp", "cnn"]
# Converting the CNN (3.3 million weights, 13 MB) to TF Lite costs 3-4 s of CPU per conversion: the
# fast tier converts the MLP, the slow tier the CNN as well.
TFLITE_MODELS = ["mlp", pytest.param("cnn", marks=pytest.mark.slow)]
TFLITE_ATOL = 1e-5  # float32 TF Lite kernels (XNNPACK) against TensorFlow's, on softmax outputs in [0, 1]
# int8 weights, float activations: each output within 5% of its row's range (max − min) of the float
# model's outputs. Measured here: at most 0.8% (MLP 0.5%, CNN 0.8%; 1.3% with the inputs ×5), so a
# quantised model that outputs the uniform 0.1 (off by 50-70% of the range) fails.
QUANTISED_RELATIVE = 0.05
INPUT_STRETCH = 5.0  # the export inputs ×5 as well: untrained models' outputs then lie far from uniform
QUANTISED_SIZE_RATIO = 0.30  # int8 weights are a quarter of float32's; the rest is graph and biases
DEPLOY_EXTRA = "pip install 'handbook-spec[deploy]'"


@pytest.fixture(scope="module")
def exported():
    return exported_models()


# ------------------------------------------------------------------ SavedModel

@pytest.mark.parametrize("name", MODELS)
@pytest.mark.claim("features.savedmodel-export-signature")
def test_savedmodel_signature_gives_the_models_outputs(exported, name):
    e = exported[name]
    loaded = tf.saved_model.load(str(e.path))
    assert list(loaded.signatures) == ["serving_default"], list(loaded.signatures)
    signature = loaded.signatures["serving_default"]
    _, kwargs = signature.structured_input_signature
    assert list(kwargs) == [SERVING_INPUT], kwargs
    assert kwargs[SERVING_INPUT].shape.as_list() == [None, 28, 28, 1] and kwargs[SERVING_INPUT].dtype == tf.float32
    assert signature.structured_outputs[SERVING_OUTPUT].shape.as_list() == [None, 10], signature.structured_outputs
    outputs = signature(**{SERVING_INPUT: tf.constant(e.inputs)})[SERVING_OUTPUT]
    assert_exact(outputs, e.outputs, what=f"{name} SavedModel signature outputs", dtype=np.float32)


@pytest.mark.subprocess
@pytest.mark.parametrize("name", MODELS)
@pytest.mark.claim("features.savedmodel-fresh-process")
def test_savedmodel_loads_in_a_fresh_process_without_the_source(exported, local_data_file, name, measured):
    report, folder = fresh_child(local_data_file("mnist.npz"))
    assert report["spec_importable"] is False, "the child could import `spec`: the model's source was reachable"
    assert report["model_modules_loaded"] == [], report["model_modules_loaded"]
    measured(f"{name}: type tf.saved_model.load returned in the child", report["loaded"][name])
    fresh = np.load(folder / f"{name}_fresh.npy")
    assert_exact(fresh, exported[name].outputs, what=f"{name} outputs in a fresh process", dtype=np.float32)


# ------------------------------------------------------------------ TensorFlow Serving

@pytest.mark.claim("features.serving-signature-fits-rest-predict")
def test_savedmodel_answers_a_rest_predict_body(exported):
    from tensorflow.core.framework import types_pb2
    from tensorflow.core.protobuf import saved_model_pb2  # what saved_model_cli show reads

    e = exported["mlp"]
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((e.path / "saved_model.pb").read_bytes())
    serving = [m for m in proto.meta_graphs if "serve" in m.meta_info_def.tags]
    assert len(serving) == 1, [list(m.meta_info_def.tags) for m in proto.meta_graphs]
    signature_def = serving[0].signature_def["serving_default"]
    (input_name, input_info), = signature_def.inputs.items()
    (output_name, output_info), = signature_def.outputs.items()
    assert input_info.dtype == types_pb2.DT_FLOAT and output_info.dtype == types_pb2.DT_FLOAT
    assert [d.size for d in input_info.tensor_shape.dim] == [-1, 28, 28, 1], input_info
    assert [d.size for d in output_info.tensor_shape.dim] == [-1, 10], output_info

    # The REST API's row format: {"signature_name": ..., "instances": [one entry per example]}; a
    # single named input may be given as bare tensors. The answer is {"predictions": [...]}.
    body = json.dumps({"signature_name": "serving_default", "instances": e.inputs.tolist()})
    request = json.loads(body)
    function = tf.saved_model.load(str(e.path)).signatures[request["signature_name"]]
    batch = np.asarray(request["instances"], dtype=np.float32)
    predictions = function(**{input_name: tf.constant(batch)})[output_name].numpy()
    response = json.loads(json.dumps({"predictions": predictions.tolist()}))
    assert_exact(np.asarray(response["predictions"], dtype=np.float32), e.outputs,
                 what="predictions answered for the JSON instances", dtype=np.float32)


# ------------------------------------------------------------------ TF Lite

def _interpreter_class():
    """LiteRT's interpreter (ai-edge-litert), else TensorFlow's own tf.lite.Interpreter, else skip."""
    try:
        from ai_edge_litert.interpreter import Interpreter
        return Interpreter, "ai_edge_litert.interpreter.Interpreter"
    except ImportError:
        pass
    if hasattr(tf.lite, "Interpreter"):
        return tf.lite.Interpreter, "tf.lite.Interpreter"
    pytest.skip(f"no TF Lite interpreter: ai-edge-litert is not installed ({DEPLOY_EXTRA}) and this "
                f"TensorFlow {tf.__version__} has no tf.lite.Interpreter")


def run_tflite(content: bytes, inputs: np.ndarray, interpreter_class=None) -> np.ndarray:
    interpreter = (interpreter_class or _interpreter_class()[0])(model_content=content)
    (entry,) = interpreter.get_input_details()
    interpreter.resize_tensor_input(entry["index"], list(inputs.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(entry["index"], inputs)
    interpreter.invoke()
    (exit_,) = interpreter.get_output_details()
    return interpreter.get_tensor(exit_["index"])


_converted: dict[tuple[str, str], bytes] = {}


def converted(exported, name: str, how: str) -> bytes:
    """TF Lite flatbuffers, converted once per process: float from the Keras model, dynamic-range
    quantised from the Keras model, or float from the SavedModel folder; in a child process
    (spec.ch1_processes.convert_in_a_child): TF 2.16's converter aborts on the Keras 3 that installs
    with it today, which must fail the test, not crash the worker."""
    key = (name, how)
    if key not in _converted:
        e = exported[name]
        if how == "savedmodel":
            _converted[key] = convert_in_a_child(saved_model=e.path, hows=("float",))["float"]
        else:
            for done, content in convert_in_a_child(e.model, e.inputs.shape).items():
                _converted[(name, done)] = content
    return _converted[key]


@pytest.mark.parametrize("name", TFLITE_MODELS)
@pytest.mark.claim("features.tflite-keras-model-runs")
def test_tflite_from_keras_model_matches_the_model(exported, name, measured):
    interpreter_class, interpreter_name = _interpreter_class()
    e = exported[name]
    outputs = run_tflite(converted(exported, name, "float"), e.inputs, interpreter_class)
    measured(f"{name}: interpreter", interpreter_name)
    measured(f"{name}: max |TF Lite − Keras|", float(np.abs(outputs - e.outputs).max()))
    assert_close(outputs, e.outputs, rtol=0.0, atol=TFLITE_ATOL, what=f"{name} TF Lite outputs")


@pytest.mark.parametrize("name", TFLITE_MODELS)
@pytest.mark.claim("features.tflite-from-savedmodel-runs")
def test_tflite_from_savedmodel_matches_the_model(exported, name, measured):
    e = exported[name]
    content = converted(exported, name, "savedmodel")
    outputs = run_tflite(content, e.inputs)
    measured(".tflite bytes from the SavedModel", len(content), note=name)
    assert np.all(np.isfinite(outputs)), (
        f"{name}: the TF Lite model converted from the SavedModel ({len(content)} bytes) outputs "
        f"non-finite values: {outputs[0]}"
    )
    assert_close(outputs, e.outputs, rtol=0.0, atol=TFLITE_ATOL, what=f"{name} TF Lite (from SavedModel) outputs")


@pytest.mark.parametrize("name", TFLITE_MODELS)
@pytest.mark.claim("features.tflite-smaller-than-savedmodel")
def test_float_tflite_is_smaller_than_the_savedmodel(exported, name, measured):
    e = exported[name]
    tflite_bytes = len(converted(exported, name, "float"))
    savedmodel_bytes = folder_bytes(e.path)
    variables_bytes = folder_bytes(e.path / "variables")
    measured(f"{name}: bytes (.tflite, SavedModel folder, its variables)", [tflite_bytes, savedmodel_bytes, variables_bytes])
    assert tflite_bytes < savedmodel_bytes, f"{name}: .tflite {tflite_bytes} B, SavedModel {savedmodel_bytes} B"


@pytest.mark.parametrize("name", TFLITE_MODELS)
@pytest.mark.claim("features.tflite-dynamic-range-smaller")
def test_dynamic_range_quantisation_shrinks_the_file(exported, name, measured):
    e = exported[name]
    float_bytes = len(converted(exported, name, "float"))
    quantised = converted(exported, name, "dynamic")
    measured(f"{name}: bytes (float .tflite, dynamic-range .tflite)", [float_bytes, len(quantised)])
    assert len(quantised) <= QUANTISED_SIZE_RATIO * float_bytes, (
        f"{name}: quantised {len(quantised)} B is more than {QUANTISED_SIZE_RATIO:.0%} of {float_bytes} B"
    )
    inputs = np.concatenate([e.inputs, INPUT_STRETCH * e.inputs]).astype(np.float32)
    expected = np.concatenate([e.outputs, e.model(inputs[len(e.inputs):]).numpy()])
    outputs = run_tflite(quantised, inputs)
    spread = expected.max(axis=1, keepdims=True) - expected.min(axis=1, keepdims=True)
    measured(f"{name}: max |quantised − Keras|", float(np.abs(outputs - expected).max()))
    measured(f"{name}: max |quantised − Keras| / row range", float((np.abs(outputs - expected) / spread).max()),
             note=f"bound {QUANTISED_RELATIVE}")
    assert_close(outputs, expected, rtol=0.0, atol=QUANTISED_RELATIVE * spread,
                 what=f"{name} quantised TF Lite outputs (export inputs, then ×{INPUT_STRETCH:g})")
    top2 = np.sort(expected, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * QUANTISED_RELATIVE * spread[:, 0]  # rows whose winner rounding cannot flip
    assert clear.any(), "no row with a clear winner: the check of the predicted classes would be empty"
    assert np.array_equal(outputs[clear].argmax(axis=1), expected[clear].argmax(axis=1)), (
        f"{name}: quantised classes {outputs[clear].argmax(axis=1).tolist()}, float {expected[clear].argmax(axis=1).tolist()}"
    )


@pytest.mark.claim("features.tflite-interpreter-in-tensorflow")
def test_tensorflows_own_interpreter_runs_the_model(exported, measured):
    assert hasattr(tf.lite, "Interpreter"), f"TensorFlow {tf.__version__} has no tf.lite.Interpreter"
    e = exported["mlp"]
    content = converted(exported, "mlp", "float")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outputs = run_tflite(content, e.inputs, tf.lite.Interpreter)
    notes = [" ".join(str(w.message).split())[:160] for w in caught if "nterpreter" in str(w.message)]
    measured("tf.lite.Interpreter warning", notes[0] if notes else "none")
    measured("max |tf.lite.Interpreter − Keras|", float(np.abs(outputs - e.outputs).max()))
    # Its kernels are TensorFlow's own build of TF Lite, not LiteRT's: the two may differ in the last bits.
    assert_close(outputs, e.outputs, rtol=0.0, atol=TFLITE_ATOL, what="tf.lite.Interpreter outputs")


@pytest.mark.slow
@pytest.mark.claim("features.tflite-dynamic-range-accuracy")
def test_quantised_mlp_keeps_its_mnist_accuracy(local_data_file, measured):
    interpreter_class, _ = _interpreter_class()
    loader = MNISTLoader(local_data_file("mnist.npz"))
    model = MLP()
    batches = loader.num_train_data // 64  # one epoch of the handbook's loop (it trains ten)
    losses = train_as_written(model, loader, num_batches=batches)
    float_accuracy, evaluated = evaluate_as_written(model, loader)
    content = convert_in_a_child(model, (1, 28, 28, 1), hows=("dynamic",))["dynamic"]
    probabilities = run_tflite(content, loader.test_data[:evaluated], interpreter_class)
    quantised_accuracy = float(np.mean(np.argmax(probabilities, axis=1) == loader.test_label[:evaluated]))
    measured("final training loss (1 epoch)", float(losses[-1]))
    measured("float32 test accuracy (1 epoch)", float_accuracy, handbook=0.972155, note="the book trains 10 epochs")
    measured("dynamic-range TF Lite test accuracy", quantised_accuracy)
    assert float_accuracy > 0.9, f"the MLP did not train: float accuracy {float_accuracy}"
    assert abs(quantised_accuracy - float_accuracy) <= 0.01, (
        f"quantised accuracy {quantised_accuracy:.4f} vs float {float_accuracy:.4f} on {evaluated} test images"
    )


# ------------------------------------------------------------------ TensorFlow Hub

def _hub():
    try:
        import tensorflow_hub as hub
    except ImportError as exc:  # absent, or (with Keras 3) tf_keras absent
        pytest.skip(f"tensorflow_hub cannot be imported ({exc}); {DEPLOY_EXTRA}")
    return hub


def _hub_layer(hub, e):
    return hub.KerasLayer(str(e.path), signature="serving_default", signature_outputs_as_dict=False,
                          output_key=SERVING_OUTPUT)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.claim("features.hub-keraslayer-local")
def test_hub_keraslayer_over_a_local_savedmodel(exported, name):
    hub = _hub()
    e = exported[name]
    outputs = _hub_layer(hub, e)(tf.constant(e.inputs))
    assert_exact(outputs, e.outputs, what=f"hub.KerasLayer({name} SavedModel) outputs", dtype=np.float32)


@pytest.mark.claim("features.hub-keraslayer-in-sequential")
def test_hub_keraslayer_stacks_in_a_tf_keras_sequential(exported):
    hub = _hub()
    e = exported["mlp"]
    model = tf.keras.Sequential([tf.keras.Input(shape=(28, 28, 1)), _hub_layer(hub, e)])
    assert_exact(model(tf.constant(e.inputs)), e.outputs, what="Sequential([hub.KerasLayer]) outputs",
                 dtype=np.float32)


MOBILENET_V2_FEATURES = "https://tfhub.dev/google/tf2-preview/mobilenet_v2/feature_vector/4"


@pytest.mark.network
@pytest.mark.claim("features.hub-url-load")
def test_hub_keraslayer_from_a_tfhub_handle(tmp_path, monkeypatch):
    hub = _hub()
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path))
    layer = hub.KerasLayer(MOBILENET_V2_FEATURES)
    features = layer(tf.zeros([1, 224, 224, 3]))
    assert features.shape == (1, 1280), features.shape
