"""四、TensorFlow常用模块 / （一）变量的保存与恢复：tf.train.Checkpoint, as the text and the example script
are written: the method names the prose gives (save_weight()/load_weight()), and the section's last
example run as a script with its command-line options.

The script runs in a child process, exactly as printed from `def train` to the end of its
`if __name__ == '__main__':` block, with the book's MLP (spec.models_keras) and, instead of the book's
MNISTLoader (which downloads MNIST), a stand-in with MNIST's sizes (num_train_data = 60000). The
training loop is observed, not run: the script's global `range` is a recorder that notes the loop's
bounds and stops the run there, so a bound of any size ends at once (a child timeout stands guard).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from spec.models_keras import MLP
from spec.subprocesses import STRIPPED, describe

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUM_TRAIN_DATA = 60000  # MNIST's training set, the MNISTLoader's num_train_data
CHILD_TIMEOUT = 240  # below the fast tier's 300 s, so a run that never stops fails as a timeout of this child

# ------------------------------------------------------------------ save_weight() / load_weight()


@pytest.mark.claim("checkpoint.save-weight-names-as-written")
def test_save_weight_and_load_weight_as_the_text_names_them(tmp_path, measured):
    model = MLP()
    x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    model(x)
    near = sorted(name for name in dir(tf.keras.Model) if "_weight" in name and not name.startswith("_"))
    measured("tf.keras.Model methods with '_weight' in their name", near, handbook=["load_weight", "save_weight"])
    path = str(tmp_path / "mlp.weights.h5")
    model.save_weight(path)  # as the text writes it: "调用tf.keras.Model.save_weight()方法保存模型参数"
    fresh = MLP()
    fresh(x)
    fresh.load_weight(path)  # "再运行load_weight()方法才能得到正确的结果"
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


# ------------------------------------------------------------------ the example as a script

# The book's code from `def train` to the end, verbatim.
BOOK_SCRIPT = r"""
def train(model, optimizer, data_loader, num_epochs, batch_size):
    checkpoint = tf.train.Checkpoint(model=model)
    manager = tf.train.CheckpointManager(checkpoint, directory='.\saved', max_to_keep=3)

    num_batches = int(data_loader.num_train_data // batch_size * num_epochs)
    for batch_index in range(1, num_batches):
        x, y = data_loader.get_batch(batch_size)
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))

        # logging info
        print('batch %d: loss %f' % (batch_index, loss.numpy()))
        if batch_index % 100 == 0 or batch_index == num_batches - 1:
            # 使用CheckpointManager保存模型参数到文件并自定义编号
            path = manager.save(checkpoint_number=batch_index)
            print('model saved to %s' % path)

def test(model, data_loader):
    checkpoint = tf.train.Checkpoint(model=model)
    checkpoint.restore(tf.train.latest_checkpoint('./saved'))
    y_pred = np.argmax(model.predict(data_loader.test_data), axis=-1)
    print('test accuracy: %f' % (sum(y_pred == data_loader.test_label) / data_loader.num_test_data))

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description='MNIST training configure.')
    parser.add_argument('--mode', default='train', help='train or test')
    parser.add_argument('--num_epochs', default=5)
    parser.add_argument('--batch_size', default=50)
    parser.add_argument('--learning_rate', default=0.001)
    args = parser.parse_args()

    if args.mode == 'train':
        model = MLP()
        optimizer = tf.keras.optimizers.Adam(learning_rate=args.learning_rate)
        data_loader = MNISTLoader()
        train(model, optimizer, data_loader, args.num_epochs, args.batch_size)
    elif args.mode == 'test':
        model = MLP()
        data_loader = MNISTLoader()
        test(model, data_loader)
"""

RUNS = {"no options": [], "--num_epochs=2": ["--num_epochs=2"], "--batch_size=100": ["--batch_size=100"],
        "--learning_rate=0.01": ["--learning_rate=0.01"]}
# What a reader expects each command to do: the loop's range() and Adam's learning rate.
EXPECTED = {"no options": (f"range(1, {NUM_TRAIN_DATA // 50 * 5})", 0.001),
            "--num_epochs=2": (f"range(1, {NUM_TRAIN_DATA // 50 * 2})", 0.001),
            "--batch_size=100": (f"range(1, {NUM_TRAIN_DATA // 100 * 5})", 0.001),
            "--learning_rate=0.01": (f"range(1, {NUM_TRAIN_DATA // 50 * 5})", 0.01)}

_HARNESS = """
import argparse, json, sys
sys.path.insert(0, {root!r})
import numpy as np
import tensorflow as tf
from spec.models_keras import MLP

class MNISTLoader:
    # A stand-in with MNIST's sizes; the book's loader downloads MNIST. The loop stops before get_batch.
    num_train_data, num_test_data = {num_train_data}, 10000

class LoopReached(Exception):
    pass

def describe_bound(n):
    text = str(n)
    return text if len(text) <= 12 else f"a {{len(text)}}-digit number ({{text[:6]}}...)"

for what, argv in json.loads({runs!r}).items():
    seen = {{}}

    def recording_range(*bounds):
        seen["loop"] = "range(" + ", ".join(describe_bound(b) for b in bounds) + ")"
        raise LoopReached

    class RecordingAdam(tf.keras.optimizers.Adam):
        def __init__(self, learning_rate, **kwargs):
            seen["learning_rate"] = repr(learning_rate)
            super().__init__(learning_rate=learning_rate, **kwargs)

    script_globals = {{"__name__": "__main__", "argparse": argparse, "np": np, "tf": tf, "MLP": MLP,
                      "MNISTLoader": MNISTLoader, "range": recording_range}}
    sys.argv = ["mnist_checkpoint.py", *argv]
    real_adam = tf.keras.optimizers.Adam
    tf.keras.optimizers.Adam = RecordingAdam
    try:
        exec(compile({script!r}, "mnist_checkpoint.py", "exec"), script_globals)
        seen["outcome"] = "returned"
    except LoopReached:
        seen["outcome"] = "reached the loop"
    except Exception as exc:
        seen["outcome"] = f"{{type(exc).__name__}}: {{str(exc).splitlines()[0][:200]}}"
    finally:
        tf.keras.optimizers.Adam = real_adam
    print("RUN " + json.dumps({{"what": what, **seen}}), flush=True)
"""


@pytest.mark.subprocess
@pytest.mark.claim("checkpoint.example-cli-options")
def test_the_example_takes_its_options_from_the_command_line(tmp_path, measured):
    code = _HARNESS.format(root=ROOT, num_train_data=NUM_TRAIN_DATA, runs=json.dumps(RUNS), script=BOOK_SCRIPT)
    environ = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                           env=environ, timeout=CHILD_TIMEOUT, check=False)
    runs = {r["what"]: r for r in (json.loads(line[4:]) for line in child.stdout.splitlines() if line.startswith("RUN "))}
    assert child.returncode == 0 and set(runs) == set(RUNS), "the script's runs did not all report\n" + describe(child)

    def does(what):
        run = runs[what]
        return run.get("loop") if run["outcome"] == "reached the loop" else run["outcome"]

    for what in RUNS:
        measured(f"{what}: the run", does(what), handbook=EXPECTED[what][0],
                 note=f"Adam got learning_rate={runs[what].get('learning_rate')}")
    defaults = runs["no options"]
    assert (defaults["outcome"], defaults.get("loop"), defaults.get("learning_rate")) == (
        "reached the loop", EXPECTED["no options"][0], "0.001"), f"without options: {defaults}"
    wrong = [f"{what} gives {does(what)}, not {EXPECTED[what][0]} with Adam({EXPECTED[what][1]})"
             for what in RUNS if what != "no options"
             and (does(what), runs[what].get("learning_rate")) != (EXPECTED[what][0], repr(EXPECTED[what][1]))]
    assert not wrong, "the options given on the command line do not set the run: " + "; ".join(wrong)
