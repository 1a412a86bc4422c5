"""Fixes for chapter 三 (TensorFlow模型建立与训练): today's spelling of what the book writes, each
checked against the book's observable.

The errata show the lines between `# errata: begin` and `# errata: end`; the checks follow them.
"""
from __future__ import annotations

import importlib.util
import inspect
import math
import types
import warnings

import numpy as np
import pytest
import tensorflow as tf

from reference import keras_custom as custom_ref
from spec import models_rnn_rl as M
from spec.assertions import assert_close, assert_exact, assert_on_device

CORPUS_ALPHABET = 57  # the char-RNN's alphabet (spec.test_ch3_rnn)


def this_keras() -> str:
    """What tf.keras is here, for skip reasons: 'tf-keras 2.21.0', 'keras2 2.15.0', ..."""
    from ci.environment import keras_flavour

    flavour, version = keras_flavour()
    return f"{flavour} {version}"


def load(package: str):
    """gym or gymnasium, or skip naming the missing package."""
    from spec.test_ch3_gym import load as load_quietly

    return load_quietly(package)


def make(package: str, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gym 0.26 warns about itself and about NumPy
        return load(package).make("CartPole-v1", **kwargs)


# ---------------------------------------------------------------- （二）示例：多层感知器


@pytest.mark.fix("mlp.printed-accuracy-form")
def test_printed_accuracy_with_six_decimals(capsys, measured):
    from spec.test_ch3_mlp import BOOK_MLP_ACCURACY

    y_true = np.zeros(9984, np.int32)  # 9706 correct of 9984, the count behind the book's 0.972155
    y_true[9706:] = 1
    y_pred = np.tile(np.array([[0.9, 0.1]], np.float32), (9984, 1))
    sparse_categorical_accuracy = tf.keras.metrics.SparseCategoricalAccuracy()
    sparse_categorical_accuracy.update_state(y_true=y_true, y_pred=y_pred)
    capsys.readouterr()
    # errata: begin
    print('test accuracy: %f' % sparse_categorical_accuracy.result())  # %f: six decimals, as the book shows
    # errata: end
    printed = capsys.readouterr().out.rstrip("\n")
    measured("printed", printed, handbook=f"test accuracy: {BOOK_MLP_ACCURACY}")
    assert printed == f"test accuracy: {BOOK_MLP_ACCURACY}", printed


# ---------------------------------------------------------------- （四）循环神经网络


def _takes_dtype(cell) -> bool:
    return "dtype" in inspect.signature(cell.get_initial_state).parameters


@pytest.mark.fix("rnn.initial-state-signature")
def test_initial_state_keras3_spelling(device):
    batch_size = 4
    with tf.device(device.name):
        cell = tf.keras.layers.LSTMCell(units=256)
        if _takes_dtype(cell):
            pytest.skip(f"Keras 3 spelling; tf.keras is {this_keras()} here, whose get_initial_state needs dtype: "
                        "the book's call works here")
        # errata: begin
        state = cell.get_initial_state(batch_size=batch_size)  # Keras 3: no dtype, the state is the layer's float32
        # errata: end
    assert len(state) == 2
    for part in state:
        assert_on_device(part, device)
        assert_exact(part, np.zeros((batch_size, 256), np.float32), what="initial state", dtype=np.float32)


@pytest.mark.fix("rnn.initial-state-signature")
def test_initial_state_as_zeros(device):
    batch_size = 4
    with tf.device(device.name):
        cell = tf.keras.layers.LSTMCell(units=256)
        # errata: begin
        state = [tf.zeros([batch_size, cell.units]), tf.zeros([batch_size, cell.units])]  # [h, c]: any Keras
        # errata: end
        output, _ = cell(tf.ones([batch_size, 3]), state)  # the cell takes it
    assert output.shape == (batch_size, 256)
    for part in state:
        assert_on_device(part, device)
        assert_exact(part, np.zeros((batch_size, 256), np.float32), what="initial state", dtype=np.float32)


@pytest.mark.fix("rnn.model-as-written")
def test_rnn_model_with_keras3_initial_state(device):
    from spec.test_ch3_rnn import reference_logits

    if _takes_dtype(tf.keras.layers.LSTMCell(units=1)):
        pytest.skip(f"Keras 3 spelling; tf.keras is {this_keras()} here, whose get_initial_state needs dtype: "
                    "the book's RNN runs as written here")

    class RNN(tf.keras.Model):
        def __init__(self, num_chars, batch_size, seq_length):
            super().__init__()
            self.num_chars = num_chars
            self.seq_length = seq_length
            self.batch_size = batch_size
            self.cell = tf.keras.layers.LSTMCell(units=256)
            self.dense = tf.keras.layers.Dense(units=self.num_chars)

        def call(self, inputs, from_logits=False):
            inputs = tf.one_hot(inputs, depth=self.num_chars)  # [batch_size, seq_length, num_chars]
            # errata: begin
            state = self.cell.get_initial_state(batch_size=self.batch_size)  # Keras 3 takes no dtype
            # errata: end
            for t in range(self.seq_length):
                output, state = self.cell(inputs[:, t, :], state)
            logits = self.dense(output)
            if from_logits:
                return logits
            else:
                return tf.nn.softmax(logits)

    x = np.random.default_rng(5).integers(0, CORPUS_ALPHABET, size=(2, 3))
    with tf.device(device.name):
        model = RNN(num_chars=CORPUS_ALPHABET, batch_size=2, seq_length=3)
        probs = model(x)
        logits = model(x, from_logits=True)
    assert_on_device(probs, device)
    assert probs.shape == (2, CORPUS_ALPHABET), probs.shape
    assert_close(logits, reference_logits(model, x), rtol=1e-4, atol=1e-5, what="logits", device=device)


@pytest.mark.fix("rnn.model-variables-are-weights")
def test_rnn_trains_its_trainable_variables():
    model = M.RNN(num_chars=CORPUS_ALPHABET, batch_size=3, seq_length=6)
    optimizer = tf.keras.optimizers.Adam(learning_rate=M.LEARNING_RATE)
    x, y = np.zeros((3, 6), np.int64), np.zeros(3, np.int64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tf.GradientTape() as tape:
            y_pred = model(x)
            loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred)
            loss = tf.reduce_mean(loss)
        # errata: begin
        grads = tape.gradient(loss, model.trainable_variables)  # the five weights (Keras 3's variables add a seed)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.trainable_variables))
        # errata: end
    shapes = [tuple(v.shape) for v in model.trainable_variables]
    weights = [(CORPUS_ALPHABET, 4 * M.UNITS), (M.UNITS, 4 * M.UNITS), (4 * M.UNITS,), (M.UNITS, CORPUS_ALPHABET),
               (CORPUS_ALPHABET,)]
    assert shapes == weights, f"model.trainable_variables are {shapes}, not the five weights {weights}"
    names = [v.name for v in model.trainable_variables]
    assert all(g is not None for g in grads), f"no gradient for {[n for n, g in zip(names, grads) if g is None]}"
    missing = [str(w.message) for w in caught if "do not exist" in str(w.message)]
    assert not missing, missing


@pytest.mark.fix("rnn.one-hot-shape-as-written")
def test_one_hot_sequence_keeps_the_batch_axis():
    num_chars, batch_size, seq_length = CORPUS_ALPHABET, M.BATCH_SIZE, M.SEQ_LENGTH
    x = np.random.default_rng(3).integers(0, num_chars, size=(batch_size, seq_length))  # get_batch's shape
    cell = tf.keras.layers.LSTMCell(units=M.UNITS)
    state = [tf.zeros([batch_size, M.UNITS]), tf.zeros([batch_size, M.UNITS])]
    shapes = []
    # errata: begin
    inputs = tf.one_hot(x, depth=num_chars)  # [batch_size, seq_length, num_chars]
    for t in range(seq_length):
        output, state = cell(inputs[:, t, :], state)  # step t of every sequence: [batch_size, num_chars]
        # errata: end
        shapes.append(tuple(inputs[:, t, :].shape))
        assert_exact(inputs[:, t, :], np.eye(num_chars, dtype=np.float32)[x[:, t]], what=f"inputs[:, {t}, :]")
    assert tuple(inputs.shape) == (batch_size, seq_length, num_chars), inputs.shape
    assert set(shapes) == {(batch_size, num_chars)}, set(shapes)
    assert tuple(output.shape) == (batch_size, M.UNITS), output.shape


# ---------------------------------------------------------------- （五）深度强化学习: the loss


@pytest.mark.fix("dqn.mse-function-name")
def test_mse_function():
    a = np.array([[1.0, 2.0, 4.0], [0.0, 0.0, 3.0]], np.float32)
    b = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]], np.float32)
    # errata: begin
    loss = tf.keras.losses.mse(y_true=a, y_pred=b)  # the name every Keras exports (also tf.keras.losses.MSE)
    # errata: end
    assert_close(loss, [20.0 / 3, 2.0], rtol=1e-6, what="tf.keras.losses.mse: mean over the last axis")


@pytest.mark.fix("dqn.mse-function-name")
def test_mean_squared_error_class_in_the_dqn_update():
    model = M.QNetwork()
    rng = np.random.default_rng(14)
    batch_state = rng.normal(size=(32, 4)).astype(np.float32)
    batch_action = rng.integers(0, 2, 32)
    y = rng.normal(size=32).astype(np.float32)
    with tf.GradientTape() as tape:
        # errata: begin
        loss = tf.keras.losses.MeanSquaredError()(
            y_true=y,
            y_pred=tf.reduce_sum(model(batch_state) * tf.one_hot(batch_action, depth=2), axis=1)
        )
        # errata: end
    grads = tape.gradient(loss, model.trainable_variables)
    q = np.sum(model(batch_state).numpy() * np.eye(2, dtype=np.float32)[batch_action], axis=1)
    assert_close(loss, np.mean((y.astype(np.float64) - q) ** 2), rtol=1e-5, what="the DQN loss")
    assert all(g is not None for g in grads)


# ---------------------------------------------------------------- （五）深度强化学习: Gym


def _check_state(state, package: str) -> None:
    __tracebackhide__ = True
    assert isinstance(state, np.ndarray) and state.shape == (4,), f"{package}: state {type(state).__name__} {state!r}"
    assert np.all(np.abs(state) <= 0.05), f"{package}: a CartPole start state is drawn from U(-0.05, 0.05): {state}"


@pytest.mark.fix("rl.gym-reset-returns-state")
def test_gym_reset_returns_state_and_info():
    env = make("gym")
    # errata: begin
    state, _ = env.reset()  # gym >= 0.26 returns (observation, info)
    # errata: end
    _check_state(state, "gym")


@pytest.mark.fix("rl.gymnasium-reset-returns-state")
def test_gymnasium_reset_returns_state_and_info():
    load("gymnasium")
    # errata: begin
    import gymnasium as gym
    env = gym.make('CartPole-v1')
    state, _ = env.reset()  # (observation, info)
    # errata: end
    _check_state(state, "gymnasium")


def _check_transition(next_state, reward, done, info, package: str) -> None:
    __tracebackhide__ = True
    assert np.shape(next_state) == (4,), f"{package}: next_state {next_state!r}"
    assert reward == 1.0, f"{package}: reward {reward!r}"
    assert isinstance(done, (bool, np.bool_)) and not done, f"{package}: done {done!r} after one step"
    assert isinstance(info, dict), f"{package}: info {info!r}"


@pytest.mark.fix("rl.gym-step-four-values")
def test_gym_step_returns_five_values():
    if np.lib.NumpyVersion(np.__version__) >= "2.0.0":
        pytest.skip(f"NumPy {np.__version__}: gym 0.26's environment checker uses np.bool8, which NumPy 2 removed; "
                    "see the disable_env_checker and gymnasium spellings")
    env = make("gym")
    state, _ = env.reset()
    action = env.action_space.sample()
    # errata: begin
    next_state, reward, terminated, truncated, info = env.step(action)
    done = terminated or truncated  # the episode ends at a fall (terminated) or at the time limit (truncated)
    # errata: end
    _check_transition(next_state, reward, done, info, "gym")


@pytest.mark.fix("rl.gym-step-four-values")
def test_gym_step_without_the_env_checker():
    load("gym")
    # errata: begin
    import gym
    env = gym.make('CartPole-v1', disable_env_checker=True)  # gym 0.26's checker fails under NumPy 2 (np.bool8)
    state, _ = env.reset()
    next_state, reward, terminated, truncated, info = env.step(env.action_space.sample())
    done = terminated or truncated
    # errata: end
    _check_transition(next_state, reward, done, info, "gym")
    # Unlike env.unwrapped, this keeps CartPole-v1's time limit: a pole kept up is truncated at step 500.
    from spec.test_ch3_cartpole_time_limit import upright

    state, _ = env.reset(seed=0)
    for steps in range(1, 1001):
        state, _, terminated, truncated, _ = env.step(upright(state))
        if terminated or truncated:
            break
    assert (steps, terminated, truncated) == (500, False, True), (steps, terminated, truncated)


@pytest.mark.fix("rl.gym-step-four-values")
def test_gym_step_with_gymnasium():
    load("gymnasium")
    # errata: begin
    import gymnasium as gym  # the maintained successor of gym, the same API
    env = gym.make('CartPole-v1')
    state, _ = env.reset()
    next_state, reward, terminated, truncated, info = env.step(env.action_space.sample())
    done = terminated or truncated
    # errata: end
    _check_transition(next_state, reward, done, info, "gymnasium")


@pytest.mark.fix("rl.gymnasium-step-four-values")
def test_gymnasium_step_returns_five_values():
    load("gymnasium")
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    state, _ = env.reset()
    action = env.action_space.sample()
    # errata: begin
    next_state, reward, terminated, truncated, info = env.step(action)
    done = terminated or truncated  # the episode ends at a fall (terminated) or at the time limit (truncated)
    # errata: end
    _check_transition(next_state, reward, done, info, "gymnasium")


@pytest.mark.fix("dqn.max-len-episode")
def test_gymnasium_episode_limit_raised_to_max_len_episode(seed, measured):
    from spec.test_ch3_cartpole_time_limit import book_episode

    load("gymnasium")
    max_len_episode = M.MAX_LEN_EPISODE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # errata: begin
        import gymnasium as gym
        env = gym.make('CartPole-v1', max_episode_steps=max_len_episode)  # CartPole-v1's own limit is 500 steps
        # errata: end
    steps, printed, _, _ = book_episode(env, seed)  # the book's loop, with a controller that keeps the pole up
    env.close()
    measured("steps of an episode the pole never falls in", steps, handbook=max_len_episode, note=f"prints {printed}")
    assert steps == max_len_episode, f"the episode lasted {steps} steps, not max_len_episode = {max_len_episode}"


@pytest.mark.fix("dqn.max-len-episode")
def test_gym_episode_limit_raised_to_max_len_episode(seed, measured):
    from spec.test_ch3_cartpole_time_limit import book_episode

    load("gym")
    max_len_episode = M.MAX_LEN_EPISODE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # errata: begin
        import gym
        env = gym.make('CartPole-v1', max_episode_steps=max_len_episode,  # CartPole-v1's own limit is 500 steps
                       disable_env_checker=True)  # needed under NumPy 2 (rl.gym-step-four-values)
        # errata: end
    steps, printed, _, _ = book_episode(env, seed)  # the book's loop, with a controller that keeps the pole up
    env.close()
    measured("steps of an episode the pole never falls in", steps, handbook=max_len_episode, note=f"prints {printed}")
    assert steps == max_len_episode, f"the episode lasted {steps} steps, not max_len_episode = {max_len_episode}"


def _needs_pygame(package: str) -> None:
    if importlib.util.find_spec("pygame") is None:
        extra = "gym[classic_control]" if package == "gym" else "gymnasium[classic-control]"
        pytest.skip(f"pygame is not installed, and CartPole draws with it: pip install \"{extra}\" "
                    "(the suite's rl extra does not include it)")


def _check_frame_drawn(env, package: str) -> None:
    """The human-mode window (SDL's dummy video driver here) shows what rgb_array mode returns for the
    same state."""
    __tracebackhide__ = True
    import pygame

    assert env.unwrapped.render_mode == "human"
    shown = np.transpose(pygame.surfarray.array3d(pygame.display.get_surface()), axes=(1, 0, 2))
    frames = make(package, render_mode="rgb_array")
    frames.reset()
    frames.unwrapped.state = np.array(env.unwrapped.state)
    frame = frames.render()
    frames.close()
    assert shown.shape == frame.shape == (400, 600, 3), (shown.shape, frame.shape)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 1, "the frame is blank"
    assert np.array_equal(shown, frame), "the window does not show the current frame"


@pytest.fixture
def headless_display(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    monkeypatch.setenv("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.mark.fix("rl.gym-render")
def test_gym_render_mode_given_to_make(headless_display):
    _needs_pygame("gym")
    load("gym")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # errata: begin
        import gym
        env = gym.make('CartPole-v1', render_mode='human')  # the render mode is chosen when the environment is made
        state, _ = env.reset()
        env.render()  # draws the current frame in the window
        # errata: end
    declined = [str(w.message) for w in caught if "render mode" in str(w.message) or "render_mode" in str(w.message)]
    assert not declined, declined
    try:
        _check_frame_drawn(env, "gym")
    finally:
        env.close()


@pytest.mark.fix("rl.gymnasium-render")
def test_gymnasium_render_mode_given_to_make(headless_display):
    _needs_pygame("gymnasium")
    load("gymnasium")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # errata: begin
        import gymnasium as gym
        env = gym.make('CartPole-v1', render_mode='human')  # the render mode is chosen when the environment is made
        state, _ = env.reset()
        env.render()  # draws the current frame in the window
        # errata: end
    declined = [str(w.message) for w in caught if "render mode" in str(w.message) or "render_mode" in str(w.message)]
    assert not declined, declined
    try:
        _check_frame_drawn(env, "gymnasium")
    finally:
        env.close()


# ---------------------------------------------------------------- （三）2. 使用Keras中预定义的卷积神经网络结构


@pytest.mark.fix("keras-apps.set-learning-phase")
def test_training_argument_instead_of_the_learning_phase(device):
    from spec.test_ch3_applications import EPS32, _batchnorm_case, _params

    layer, x = _batchnorm_case(device)
    gamma, beta, mean, variance = _params(layer)
    with tf.device(device.name):
        # errata: begin
        y = layer(tf.constant(x), training=True)  # or model(x, training=True): the mode is an argument of each call
        # errata: end
    expected, _, _ = custom_ref.batch_norm_training(x, gamma, beta, mean, variance, 1e-3, 0.99)
    tol = 64 * EPS32
    assert_close(y, expected, what="BatchNormalization(training=True)", rtol=tol, atol=tol, device=device)


# ---------------------------------------------------------------- （七）自定义层、损失函数和评估指标


@pytest.mark.fix("keras-custom.layer-build-gets-tensorshape")
def test_build_wraps_its_input_shape_in_a_tensorshape(device, measured):
    received = []

    class MyLinearLayer(tf.keras.layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            # errata: begin
            input_shape = tf.TensorShape(input_shape)  # Keras 3 passes a tuple; TensorShape(a TensorShape) is a no-op
            # errata: end
            received.append(input_shape)
            self.w = self.add_weight(name="w", shape=[input_shape[-1], self.units],
                                     initializer=tf.keras.initializers.glorot_normal())
            self.b = self.add_weight(name="b", shape=[self.units], initializer=tf.zeros_initializer())

        def call(self, inputs):
            return tf.matmul(inputs, self.w) + self.b

    with tf.device(device.name):
        y = MyLinearLayer(units=3)(tf.ones([2, 4]))
    assert_on_device(y, device)
    measured("type build() works with", f"{type(received[0]).__module__}.{type(received[0]).__qualname__}",
             handbook="TensorShape")
    assert isinstance(received[0], tf.TensorShape) and received[0].as_list() == [2, 4], received


@pytest.mark.fix("keras-custom.metric-empty-result")
def test_metric_result_without_examples_is_zero(device, measured):
    class MySparseCategoricalAccuracy(tf.keras.metrics.Metric):
        def __init__(self):
            super().__init__()
            self.total = self.add_weight(name="total", dtype=tf.int32, initializer=tf.zeros_initializer())
            self.count = self.add_weight(name="count", dtype=tf.int32, initializer=tf.zeros_initializer())

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = tf.cast(tf.equal(y_true, tf.argmax(y_pred, axis=-1, output_type=tf.int32)), tf.int32)
            self.total.assign_add(tf.shape(y_true)[0])
            self.count.assign_add(tf.reduce_sum(values))

        # errata: begin
        def result(self):  # a float32 fraction, and 0.0 before any example (as the built-in metric)
            return tf.math.divide_no_nan(tf.cast(self.count, tf.float32), tf.cast(self.total, tf.float32))
        # errata: end

    with tf.device(device.name):
        metric, builtin = MySparseCategoricalAccuracy(), tf.keras.metrics.SparseCategoricalAccuracy()
        fresh = float(metric.result().numpy())
        empty = (tf.zeros([0], tf.int32), tf.zeros([0, 3], tf.float32))
        metric.update_state(*empty)
        builtin.update_state(*empty)
        got, expected = float(metric.result().numpy()), float(builtin.result().numpy())
    measured("result() without examples (fresh, after an empty batch)", [fresh, got], handbook=[0.0, 0.0])
    assert fresh == got == expected == 0.0, (fresh, got, expected)


@pytest.mark.fix("keras-custom.metric-result-dtype")
def test_metric_result_is_float32(device, measured):
    class MySparseCategoricalAccuracy(tf.keras.metrics.Metric):
        def __init__(self):
            super().__init__()
            self.total = self.add_weight(name="total", dtype=tf.int32, initializer=tf.zeros_initializer())
            self.count = self.add_weight(name="count", dtype=tf.int32, initializer=tf.zeros_initializer())

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = tf.cast(tf.equal(y_true, tf.argmax(y_pred, axis=-1, output_type=tf.int32)), tf.int32)
            self.total.assign_add(tf.shape(y_true)[0])
            self.count.assign_add(tf.reduce_sum(values))

        # errata: begin
        def result(self):  # a float32 fraction, and 0.0 before any example (as the built-in metric)
            return tf.math.divide_no_nan(tf.cast(self.count, tf.float32), tf.cast(self.total, tf.float32))
        # errata: end

    labels, scores = np.array([0, 1, 1], np.int32), np.array([[1, 0], [0, 1], [1, 0]], np.float32)  # 2 of 3
    with tf.device(device.name):
        metric, builtin = MySparseCategoricalAccuracy(), tf.keras.metrics.SparseCategoricalAccuracy()
        for m in (metric, builtin):
            m.update_state(tf.constant(labels), tf.constant(scores))
        got, expected = metric.result(), builtin.result()
    measured("dtype of result()", got.dtype.name, handbook="float32", note=f"value {got.numpy()!r}")
    assert got.dtype == expected.dtype == tf.float32, (got.dtype, expected.dtype)
    assert got.numpy() == expected.numpy() == np.float32(2) / np.float32(3), (got.numpy(), expected.numpy())


# ---------------------------------------------------------------- （六）Keras Pipeline


@pytest.mark.fix("keras-pipeline.fit-call-as-printed")
def test_fit_with_epochs_and_labelled_validation_data():
    from spec.test_ch3_keras_pipeline import compile_as_written, sequential_mlp, synthetic_mnist

    train_data, train_label = synthetic_mnist(20, seed=7)
    data_loader = types.SimpleNamespace(train_data=train_data, train_label=train_label)  # the book's MNISTLoader
    batch_size, num_epochs = 8, 2
    model = sequential_mlp()
    compile_as_written(model)
    # errata: begin
    history = model.fit(
        x=data_loader.train_data,
        y=data_loader.train_label,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=0.1,  # or validation_data=(x_valid, y_valid): inputs and labels
    )
    # errata: end
    keys = {"loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"}
    assert set(history.history) == keys, sorted(history.history)
    assert list(history.epoch) == list(range(num_epochs)), history.epoch
    assert all(len(v) == num_epochs and all(math.isfinite(x) for x in v) for v in history.history.values())
    steps = num_epochs * math.ceil(math.floor(len(train_data) * 0.9) / batch_size)
    assert int(model.optimizer.iterations.numpy()) == steps, (int(model.optimizer.iterations.numpy()), steps)
