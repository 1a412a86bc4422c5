"""The handbook's own chapter 三 models and data loader, written as the book writes them.

三、TensorFlow模型建立与训练 / （二）示例：多层感知器 (MNISTLoader, MLP) and
（三）卷积神经网络 / 1. 使用Keras实现卷积神经网络 (CNN). These are the things under test; other parts
of the suite (checkpoints, benchmarks, SavedModel export) import them from here.

Stable API: MLP(), CNN(), MNISTLoader(path) with .train_data/.train_label/.test_data/.test_label,
.num_train_data/.num_test_data, .get_batch(batch_size), and .source (which loading path was used).

One departure, stated: the book's MNISTLoader takes no argument and calls
tf.keras.datasets.mnist.load_data(), which downloads. Offline, MNISTLoader(path) reads the local
copy of mnist.npz directly (its bytes differ from the Keras-cached file, so Keras' sha256 check
would reject it and download again); MNISTLoader() with no path is the book's own code path.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import tensorflow as tf

# The handbook's training hyper-parameters (（二） / 3. 模型训练).
NUM_EPOCHS = 10
BATCH_SIZE = 64
LEARNING_RATE = 0.001


class MNISTLoader:
    """MNIST as float32 images in [0, 1] with a trailing channel axis, int32 labels."""

    def __init__(self, path: str | Path | None = None):
        if path is None:  # the book's path: Keras downloads (or finds a verified cached copy)
            mnist = tf.keras.datasets.mnist
            (train_data, train_label), (test_data, test_label) = mnist.load_data()
            self.source = "tf.keras.datasets.mnist.load_data()"
        else:
            with np.load(path) as npz:
                train_data, train_label = npz["x_train"], npz["y_train"]
                test_data, test_label = npz["x_test"], npz["y_test"]
            self.source = f"np.load({Path(path).name})"
        # uint8 0..255 -> float32 0..1, plus a colour-channel axis at the end, as the book does it.
        self.train_data = np.expand_dims(train_data.astype(np.float32) / 255.0, axis=-1)  # [60000, 28, 28, 1]
        self.test_data = np.expand_dims(test_data.astype(np.float32) / 255.0, axis=-1)  # [10000, 28, 28, 1]
        self.train_label = train_label.astype(np.int32)  # [60000]
        self.test_label = test_label.astype(np.int32)  # [10000]
        self.num_train_data, self.num_test_data = self.train_data.shape[0], self.test_data.shape[0]

    def get_batch(self, batch_size):
        """batch_size examples drawn uniformly with replacement (np.random.randint), as the book does."""
        index = np.random.randint(0, self.num_train_data, batch_size)
        return self.train_data[index, :], self.train_label[index]


class MLP(tf.keras.Model):
    """Flatten -> Dense(100, relu) -> Dense(10) -> softmax."""

    def __init__(self):
        super().__init__()
        self.flatten = tf.keras.layers.Flatten()
        self.dense1 = tf.keras.layers.Dense(
            units=100,
            activation=tf.keras.activations.relu,
            use_bias=True,
            kernel_initializer="glorot_uniform",
            bias_initializer="zeros",
        )
        self.dense2 = tf.keras.layers.Dense(units=10)

    def call(self, inputs):  # inputs: [batch_size, 28, 28, 1]
        x = self.flatten(inputs)  # [batch_size, 784]
        x = self.dense1(x)  # [batch_size, 100]
        x = self.dense2(x)  # [batch_size, 10]
        return tf.nn.softmax(x)


class CNN(tf.keras.Model):
    """conv5x5(32, same, relu) -> maxpool 2 -> conv5x5(64, same, relu) -> maxpool 2 -> reshape ->
    Dense(1024, relu) -> Dense(10) -> softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = tf.keras.layers.Conv2D(
            filters=32, kernel_size=[5, 5], padding="same", activation=tf.keras.activations.relu
        )
        self.pool1 = tf.keras.layers.MaxPool2D(pool_size=[2, 2], strides=2)
        self.conv2 = tf.keras.layers.Conv2D(
            filters=64, kernel_size=[5, 5], padding="same", activation=tf.keras.activations.relu
        )
        self.pool2 = tf.keras.layers.MaxPool2D(pool_size=[2, 2], strides=2)
        self.flatten = tf.keras.layers.Reshape(target_shape=(7 * 7 * 64,))
        self.dense1 = tf.keras.layers.Dense(units=1024, activation=tf.keras.activations.relu)
        self.dense2 = tf.keras.layers.Dense(units=10)

    def call(self, inputs):  # inputs: [batch_size, 28, 28, C]
        x = self.conv1(inputs)  # [batch_size, 28, 28, 32]
        x = self.pool1(x)  # [batch_size, 14, 14, 32]
        x = self.conv2(x)  # [batch_size, 14, 14, 64]
        x = self.pool2(x)  # [batch_size, 7, 7, 64]
        x = self.flatten(x)  # [batch_size, 7 * 7 * 64]
        x = self.dense1(x)  # [batch_size, 1024]
        x = self.dense2(x)  # [batch_size, 10]
        return tf.nn.softmax(x)


def train_step_function(model: tf.keras.Model, optimizer):
    """The book's loop body (tape, sparse cross-entropy averaged, apply_gradients) as a tf.function.

    Returns step(x, y) -> loss. The book runs this body eagerly; the suite compiles it (same ops).
    """

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred)
            loss = tf.reduce_mean(loss)
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
        return loss

    return step


def train_as_written(model, loader: MNISTLoader, *, num_batches: int, batch_size: int = BATCH_SIZE,
                     learning_rate: float = LEARNING_RATE):
    """The book's training loop (Adam, get_batch each step) for num_batches steps; returns the losses.

    The book uses num_batches = num_train_data // batch_size * num_epochs.
    """
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    step = train_step_function(model, optimizer)
    losses = np.empty(num_batches, dtype=np.float32)
    for batch_index in range(num_batches):
        x, y = loader.get_batch(batch_size)
        losses[batch_index] = step(tf.constant(x), tf.constant(y)).numpy()
    return losses


def evaluate_as_written(model, loader: MNISTLoader, *, batch_size: int = BATCH_SIZE):
    """The book's evaluation: SparseCategoricalAccuracy over num_test_data // batch_size full batches.

    The book calls model.predict per batch; the suite calls the model directly (same forward pass,
    without predict's per-call overhead). Returns (accuracy, number of examples evaluated).
    """
    metric = tf.keras.metrics.SparseCategoricalAccuracy()
    num_batches = int(loader.num_test_data // batch_size)
    forward = tf.function(lambda x: model(x))
    for batch_index in range(num_batches):
        start, end = batch_index * batch_size, (batch_index + 1) * batch_size
        y_pred = forward(tf.constant(loader.test_data[start:end]))
        metric.update_state(y_true=loader.test_label[start:end], y_pred=y_pred)
    return float(metric.result().numpy()), num_batches * batch_size


def seeded_run(cls, loader: MNISTLoader, *, num_batches: int, seed: int, device_name: str,
               batch_size: int = BATCH_SIZE, learning_rate: float = LEARNING_RATE, curve_every: int = 0) -> dict:
    """Train a fresh `cls` by the book's loop from `seed` on a device and evaluate it by the book's
    loop: accuracy, examples, seconds, the last 100 losses' mean, finiteness, and (curve_every > 0)
    the mean loss of every `curve_every` batches."""
    tf.keras.utils.set_random_seed(seed)  # Python, NumPy (get_batch) and TensorFlow (initialisers)
    with tf.device(device_name):
        model = cls()
        started = time.monotonic()
        losses = train_as_written(model, loader, num_batches=num_batches, batch_size=batch_size,
                                  learning_rate=learning_rate)
        trained_at = time.monotonic()
        accuracy, examples = evaluate_as_written(model, loader, batch_size=batch_size)
    run = {"accuracy": accuracy, "examples": examples, "batches": num_batches,
           "train_seconds": trained_at - started, "last_losses": float(np.mean(losses[-100:])),
           "finite": bool(np.all(np.isfinite(losses)))}
    if curve_every:
        run["curve"] = [round(float(np.mean(losses[k:k + curve_every])), 5) for k in range(0, len(losses), curve_every)]
    return run
