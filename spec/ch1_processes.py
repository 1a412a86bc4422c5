"""Child processes for chapter 一's feature list: a fresh interpreter that loads the exported
SavedModels without the model's source code and then trains the MLP under MirroredStrategy on two
logical CPUs, and two MultiWorkerMirroredStrategy workers on loopback.

Why one child for two claims: starting TensorFlow in a fresh interpreter costs 5-7 s of CPU here, the
fast tier's budget for this chapter is ~10 s, and both claims need a fresh interpreter (one without
the model's code, one whose CPU is split into logical devices before TensorFlow starts). The child
therefore splits its CPU first, loads the SavedModels with the checkout off sys.path (and records
that `spec` could not be imported), and only then puts the checkout back to import the MLP for the
MirroredStrategy run.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spec.subprocesses import STRIPPED, describe, run_python

ROOT = Path(__file__).resolve().parent.parent
REPORT_MARK = "handbook-spec ch1 report: "

# The distributed training runs: a few SGD steps of the MLP on fixed MNIST batches.
GLOBAL_BATCH = 32
STEPS = 5
LEARNING_RATE = 0.1
REPLICAS = 2


def _report(result: subprocess.CompletedProcess) -> dict:
    for line in result.stdout.splitlines():
        if line.startswith(REPORT_MARK):
            return json.loads(line[len(REPORT_MARK):])
    raise AssertionError("the child printed no report\n" + describe(result))


def _python_literal(config: dict) -> str:
    return repr(json.dumps(config))


# ------------------------------------------------------------------ the exported models

SERVING_INPUT = "inputs"
SERVING_OUTPUT = "outputs"
EXPORT_BATCH = 8


class Exported:
    """A model, inputs, its own outputs on them, and its SavedModel folder."""

    def __init__(self, name: str, model, inputs: np.ndarray, outputs: np.ndarray, path: Path):
        self.name, self.model, self.inputs, self.outputs, self.path = name, model, inputs, outputs, path


def export_savedmodel(model, path: Path) -> None:
    """tf.saved_model.save with a serving_default signature: float32 'inputs' [None, 28, 28, 1] -> 'outputs'."""
    import tensorflow as tf

    spec = tf.TensorSpec([None, 28, 28, 1], tf.float32, name=SERVING_INPUT)
    serve = tf.function(lambda inputs: {SERVING_OUTPUT: model(inputs)}, input_signature=[spec])
    tf.saved_model.save(model, str(path), signatures={"serving_default": serve.get_concrete_function()})


@functools.cache
def exported_models() -> dict[str, Exported]:
    """The handbook's MLP and CNN (spec.models_keras), built once per test process and exported to a
    temporary folder removed at exit. Shared by the export, Hub, Serving, TF Lite and fresh-process
    tests, so each model is built and saved once."""
    import tensorflow as tf

    from spec.models_keras import CNN, MLP

    folder = Path(tempfile.mkdtemp(prefix="handbook-spec-ch1-savedmodel-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    inputs = np.random.default_rng(20260101).random((EXPORT_BATCH, 28, 28, 1), dtype=np.float32)
    tf.keras.utils.set_random_seed(20260101)
    exported = {}
    for name, cls in (("mlp", MLP), ("cnn", CNN)):
        model = cls()
        outputs = model(inputs).numpy()
        export_savedmodel(model, folder / name)
        exported[name] = Exported(name, model, inputs, outputs, folder / name)
    return exported


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


# ------------------------------------------------------------------ fresh interpreter

# The handbook's MLP under a strategy: built from the initial weights W0, one SGD step per global
# batch of GB examples, the loss averaged over the global batch. Both children below use it.
_REPLICATED_MLP = """with strategy.scope():
    model = MLP()
    model(X[:1])
    model.set_weights(W0)
    optimizer = tf.keras.optimizers.SGD(learning_rate=LR)

def replica_step(x, y):
    with tf.GradientTape() as tape:
        per_example = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=model(x))
        loss = tf.nn.compute_average_loss(per_example, global_batch_size=GB)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return tf.shape(x)[0]

@tf.function
def distributed_step(x, y):
    return strategy.run(replica_step, args=(x, y))
"""

_FRESH_CHILD = """
import importlib.util, json, os, sys
CONFIG = json.loads({config})
ROOT = CONFIG["root"]
MARK = CONFIG["mark"]
report = {{}}

# 1. The model's source code must not be importable: drop the checkout and the working directory.
sys.path[:] = [p for p in sys.path if p not in ("", ".") and os.path.realpath(p) != ROOT]
report["spec_importable"] = importlib.util.find_spec("spec") is not None

import numpy as np
import tensorflow as tf

# 2. Split the CPU before TensorFlow initialises its devices (the first op does that).
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration() for _ in range({replicas})])

# 3. SavedModels, loaded by path alone.
x = np.load(CONFIG["inputs"])
report["loaded"] = {{}}
for name, path in CONFIG["savedmodels"].items():
    loaded = tf.saved_model.load(path)
    outputs = loaded.signatures["serving_default"](inputs=tf.constant(x))["outputs"].numpy()
    np.save(os.path.join(CONFIG["out"], name + "_fresh.npy"), outputs)
    report["loaded"][name] = type(loaded).__module__ + "." + type(loaded).__name__
report["model_modules_loaded"] = sorted(m for m in sys.modules if m == "spec" or m.startswith("spec."))

# 4. MirroredStrategy on the logical CPUs versus one device, same initial weights, same global batches.
sys.path.insert(0, ROOT)
from spec.models_keras import MLP, train_step_function

with np.load(CONFIG["data"]) as data:
    X, Y = data["x"], data["y"]
GB, LR = CONFIG["global_batch"], CONFIG["learning_rate"]
tf.keras.utils.set_random_seed(CONFIG["seed"])
initial = MLP()
initial(X[:1])
W0 = initial.get_weights()
np.savez(os.path.join(CONFIG["out"], "initial.npz"), *W0)
batches = [(X[i:i + GB], Y[i:i + GB]) for i in range(0, len(X), GB)]

devices = [d.name for d in tf.config.list_logical_devices("CPU")]
report["logical_cpus"] = devices
strategy = tf.distribute.MirroredStrategy(devices)
report["num_replicas_in_sync"] = strategy.num_replicas_in_sync
{replicated_mlp}
dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(GB)
report["replica_batch_sizes"] = []
for x, y in strategy.experimental_distribute_dataset(dataset):
    sizes = strategy.experimental_local_results(distributed_step(x, y))
    report["replica_batch_sizes"].append([int(s) for s in sizes])

copies = []
for v in model.trainable_variables:
    inner = v if isinstance(v, tf.distribute.DistributedValues) else getattr(v, "value", v)
    local = strategy.experimental_local_results(inner)
    copies.append({{"devices": [c.device for c in local],
                    "identical": all(np.array_equal(local[0].numpy(), c.numpy()) for c in local)}})
report["variable_copies"] = copies
np.savez(os.path.join(CONFIG["out"], "mirrored.npz"), *model.get_weights())

single = MLP()
single(X[:1])
single.set_weights(W0)
step = train_step_function(single, tf.keras.optimizers.SGD(learning_rate=LR))
with tf.device("/cpu:0"):
    for x, y in batches:
        step(tf.constant(x), tf.constant(y))
np.savez(os.path.join(CONFIG["out"], "one_device.npz"), *single.get_weights())
print(MARK + json.dumps(report), flush=True)
"""


def distribution_batches(mnist_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """STEPS global batches of MNIST training images, normalised as the handbook's MNISTLoader does."""
    n = GLOBAL_BATCH * STEPS
    with np.load(mnist_path) as npz:
        x = np.expand_dims(npz["x_train"][:n].astype(np.float32) / 255.0, axis=-1)
        y = npz["y_train"][:n].astype(np.int32)
    return x, y


@functools.cache
def fresh_child(mnist_path: Path) -> tuple[dict, Path]:
    """The fresh interpreter's report and output folder, run once per test process."""
    exported = exported_models()
    folder = Path(tempfile.mkdtemp(prefix="handbook-spec-ch1-child-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    inputs = next(iter(exported.values())).inputs
    report, _ = run_fresh_child(folder, {name: e.path for name, e in exported.items()}, inputs, mnist_path)
    return report, folder


def run_fresh_child(folder: Path, savedmodels: dict[str, Path], inputs: np.ndarray, mnist_path: Path,
                    seed: int = 20260101) -> tuple[dict, subprocess.CompletedProcess]:
    """Run the fresh interpreter on SavedModels already exported; its files go to `folder`."""
    np.save(folder / "inputs.npy", inputs)
    x, y = distribution_batches(mnist_path)
    np.savez(folder / "distribution_data.npz", x=x, y=y)
    config = {
        "root": os.path.realpath(ROOT),
        "mark": REPORT_MARK,
        "inputs": str(folder / "inputs.npy"),
        "savedmodels": {name: str(path) for name, path in savedmodels.items()},
        "out": str(folder),
        "data": str(folder / "distribution_data.npz"),
        "global_batch": GLOBAL_BATCH,
        "learning_rate": LEARNING_RATE,
        "seed": seed,
    }
    code = _FRESH_CHILD.format(config=_python_literal(config), replicas=REPLICAS, replicated_mlp=_REPLICATED_MLP)
    # The child must not find the checkout through PYTHONPATH either (a fault's child_site may stay).
    pythonpath = os.pathsep.join(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                                 if p and os.path.realpath(p) != os.path.realpath(ROOT))
    result = run_python(code, env={"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": pythonpath}, timeout=300)
    if result.returncode != 0:
        raise AssertionError("the fresh interpreter failed\n" + describe(result))
    return _report(result), result


def load_weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as npz:
        return [npz[f"arr_{i}"] for i in range(len(npz.files))]


# ------------------------------------------------------------------ two workers on loopback

_WORKER = """
import json, os, sys
CONFIG = json.loads({config})
sys.path.insert(0, CONFIG["root"])
import numpy as np
import tensorflow as tf
from spec.models_keras import MLP

strategy = tf.distribute.MultiWorkerMirroredStrategy()
GB, LR = CONFIG["global_batch"], CONFIG["learning_rate"]
with np.load(CONFIG["data"]) as data:
    X, Y = data["x"], data["y"]
with np.load(CONFIG["initial"]) as npz:
    W0 = [npz["arr_%d" % i] for i in range(len(npz.files))]

def dataset_fn(context):
    # Worker i takes the i-th slice of every global batch, so the two workers together see each
    # global batch exactly once per step.
    per_replica = context.get_per_replica_batch_size(GB)
    lo = context.input_pipeline_id * per_replica
    xs = X.reshape(-1, GB, *X.shape[1:])[:, lo:lo + per_replica].reshape(-1, *X.shape[1:])
    ys = Y.reshape(-1, GB)[:, lo:lo + per_replica].reshape(-1)
    return tf.data.Dataset.from_tensor_slices((xs, ys)).batch(per_replica)

{replicated_mlp}
sizes = []
for x, y in strategy.distribute_datasets_from_function(dataset_fn):
    sizes.append([int(s) for s in strategy.experimental_local_results(distributed_step(x, y))])
np.savez(CONFIG["out"], *model.get_weights())
print(CONFIG["mark"] + json.dumps({{"num_replicas_in_sync": strategy.num_replicas_in_sync,
                                    "replica_batch_sizes": sizes}}), flush=True)
"""

# Proxies would route gRPC's loopback connections elsewhere; the workers talk to each other only.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "grpc_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def free_loopback_ports(count: int) -> list[int]:
    """Ports the OS hands out for port 0 on 127.0.0.1 (free now; a race with other programs remains)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_two_workers(folder: Path, x: np.ndarray, y: np.ndarray, initial: list[np.ndarray],
                    started: list[int], timeout: float = 240) -> tuple[list[dict], list[list[np.ndarray]]]:
    """Start two MultiWorkerMirroredStrategy workers, wait for both, and always reap them.

    Appends each worker's pid to `started` as it starts (so a caller can check, even after a
    failure, that none is left). Returns (reports, final weights per worker). Raises AssertionError
    with both workers' output if either fails or the pair times out; the workers are killed first."""
    np.savez(folder / "data.npz", x=x, y=y)
    np.savez(folder / "initial.npz", *initial)
    ports = free_loopback_ports(REPLICAS)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    processes, logs = [], []
    try:
        for index in range(REPLICAS):
            config = {
                "root": os.path.realpath(ROOT), "mark": REPORT_MARK, "data": str(folder / "data.npz"),
                "initial": str(folder / "initial.npz"), "out": str(folder / f"worker{index}.npz"),
                "global_batch": GLOBAL_BATCH, "learning_rate": LEARNING_RATE,
            }
            env = {k: v for k, v in os.environ.items() if k not in STRIPPED and k not in _PROXY_VARIABLES}
            env["TF_CPP_MIN_LOG_LEVEL"] = "2"
            env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            out = tempfile.TemporaryFile(mode="w+", dir=folder)
            err = tempfile.TemporaryFile(mode="w+", dir=folder)
            logs.append((out, err))
            code = _WORKER.format(config=_python_literal(config), replicated_mlp=_REPLICATED_MLP)
            processes.append(subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=err, env=env))
            started.append(processes[-1].pid)
        deadline = time.monotonic() + timeout
        while any(p.poll() is None for p in processes):
            if time.monotonic() > deadline:
                raise AssertionError(f"the workers did not finish within {timeout} s\n" + _worker_logs(logs))
            if any(p.poll() not in (None, 0) for p in processes):
                break  # one failed: the other would wait for it in the first collective for ever
            time.sleep(0.2)
        failed = [i for i, p in enumerate(processes) if p.poll() != 0]
        if failed:
            raise AssertionError(f"worker(s) {failed} failed (exit {[p.poll() for p in processes]})\n"
                                 + _worker_logs(logs))
        reports = []
        for out, _ in logs:
            out.seek(0)
            lines = [line for line in out.read().splitlines() if line.startswith(REPORT_MARK)]
            if not lines:
                raise AssertionError("a worker printed no report\n" + _worker_logs(logs))
            reports.append(json.loads(lines[-1][len(REPORT_MARK):]))
        weights = [load_weights(folder / f"worker{index}.npz") for index in range(REPLICAS)]
        return reports, weights
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
        for p in processes:
            p.wait(timeout=30)
        for out, err in logs:
            out.close()
            err.close()


def _worker_logs(logs) -> str:
    parts = []
    for index, (out, err) in enumerate(logs):
        out.seek(0)
        err.seek(0)
        parts.append(f"--- worker {index} stdout\n{out.read()[-2000:]}\n--- worker {index} stderr\n{err.read()[-3000:]}")
    return "\n".join(parts)


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ------------------------------------------------------------------ TF Lite conversion of a Keras model

class ConverterCrashed(RuntimeError):
    """The TF Lite converter took its process down (a native abort or fault)."""


_CONVERT_CHILD = """
import json, sys
import numpy as np
CONFIG = json.loads({config})
sys.path.insert(0, CONFIG["root"])
import tensorflow as tf
from spec import models_keras
if CONFIG["saved_model"]:
    model = None
else:
    model = getattr(models_keras, CONFIG["cls"])()
    model(np.zeros(CONFIG["input_shape"], np.float32))
    weights = np.load(CONFIG["weights"])
    model.set_weights([weights[f"w{{k}}"] for k in range(len(weights.files))])
for how, out in CONFIG["outputs"].items():
    converter = (tf.lite.TFLiteConverter.from_saved_model(CONFIG["saved_model"]) if model is None
                 else tf.lite.TFLiteConverter.from_keras_model(model))
    if how == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with open(out, "wb") as fh:
        fh.write(converter.convert())
"""


def convert_in_a_child(model=None, input_shape=None, hows=("float", "dynamic"), saved_model: Path | None = None,
                       timeout: float = 600) -> dict[str, bytes]:
    """TF Lite flatbuffers (float, and with dynamic-range quantisation) converted in a child process:
    TFLiteConverter.from_keras_model of a spec.models_keras model (rebuilt there with the same
    weights), or from_saved_model of `saved_model`. A converter that aborts (TF 2.16's does, on the
    Keras 3 that installs with it today) raises ConverterCrashed in the test instead of taking the
    test process, an xdist worker, down with it."""
    with tempfile.TemporaryDirectory(prefix="handbook-spec-tflite-") as tmp:
        folder = Path(tmp)
        if model is not None:
            np.savez(folder / "weights.npz", **{f"w{k}": w for k, w in enumerate(model.get_weights())})
        outputs = {how: str(folder / f"{how}.tflite") for how in hows}
        config = {"root": str(ROOT), "cls": type(model).__name__, "input_shape": list(input_shape or ()),
                  "weights": str(folder / "weights.npz"), "outputs": outputs,
                  "saved_model": str(saved_model) if saved_model is not None else None}
        result = run_python(_CONVERT_CHILD.format(config=_python_literal(config)), timeout=timeout)
        if result.returncode < 0 or "Fatal Python error" in result.stderr:
            last = [line.strip() for line in result.stderr.splitlines() if line.strip()][-1:] or ["(no output)"]
            raise ConverterCrashed(f"the TF Lite converter took its process down (exit {result.returncode}); "
                                   f"its last line: {last[0][:300]}")
        if result.returncode != 0:
            raise RuntimeError(f"the conversion child failed: {describe(result)}")
        return {how: Path(path).read_bytes() for how, path in outputs.items()}
