"""The handbook's char-RNN and DQN code, written as the book writes it: the things under test.

三、TensorFlow模型建立与训练 / （四）循环神经网络 (DataLoader, RNN with predict(), the training loop,
the generation loop) and （五）深度强化学习 (QNetwork, the hyper-parameters, the ε schedule, the
replay buffer, the target and the update step). Other parts of the suite (benchmarks) import
RNN, DataLoader and QNetwork from here.

Two departures, both stated and both tested as deviations in their own claims:
- RNN's initial state: the book calls cell.get_initial_state(batch_size=..., dtype=tf.float32).
  Keras 3 dropped the dtype argument (LSTMCell.get_initial_state(batch_size=None)), so RNN() uses
  the book's call where the signature takes dtype and Keras 3's call otherwise; RNN(as_written=True)
  always makes the book's call (claims rnn.initial-state-signature, rnn.model-as-written).
- The DQN loss: the book calls tf.keras.losses.mean_squared_error, which Keras 3's tf.keras.losses
  no longer exports; mean_squared_error() below falls back to its alias mse (claim dqn.mse-function-name).
- Gym: the book's loop uses the gym < 0.26 API (reset() returns the state, step() four values).
  reset_state() and step_four() adapt today's (obs, info) / five-value API to it, with
  done = terminated or truncated as gym's TimeLimit set it then (claims rl.*-reset-*, rl.*-step-*).
"""
from __future__ import annotations

import inspect
import random
from collections import deque

import numpy as np
import tensorflow as tf

# ------------------------------------------------------------------ （四）循环神经网络

NIETZSCHE_URL = "https://s3.amazonaws.com/text-datasets/nietzsche.txt"
NUM_BATCHES = 1000
SEQ_LENGTH = 40
BATCH_SIZE = 50
LEARNING_RATE = 1e-3
PRED_SEQ_LEN = 150
UNITS = 256


class DataLoader:
    """The book's loader: get_file, lower-case, sorted alphabet, index maps, random windows."""

    def __init__(self):
        path = tf.keras.utils.get_file("nietzsche.txt", origin=NIETZSCHE_URL)
        self.path = path  # ours: lets a test see which file get_file returned
        with open(path, encoding="utf-8") as f:
            self.raw_text = f.read().lower()
        self.chars = sorted(list(set(self.raw_text)))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))
        self.text = [self.char_indices[c] for c in self.raw_text]

    def get_batch(self, seq_length, batch_size):
        seq = []
        next_char = []
        for i in range(batch_size):
            start_index = np.random.randint(0, len(self.text) - seq_length)
            seq.append(self.text[start_index: start_index + seq_length])
            next_char.append(self.text[start_index + seq_length])
        return np.array(seq), np.array(next_char)  # [batch_size, seq_length], [batch_size]


def handbook_initial_state(cell, batch_size):
    """The book's call, verbatim."""
    return cell.get_initial_state(batch_size=batch_size, dtype=tf.float32)


def initial_state(cell, batch_size):
    """The book's call where get_initial_state still takes dtype (Keras 2), Keras 3's otherwise."""
    if "dtype" in inspect.signature(cell.get_initial_state).parameters:
        return handbook_initial_state(cell, batch_size)
    return cell.get_initial_state(batch_size=batch_size)


class RNN(tf.keras.Model):
    """LSTMCell(256) unrolled over seq_length, a Dense read-out of the last output; predict() samples."""

    def __init__(self, num_chars, batch_size, seq_length, as_written=False):
        super(RNN, self).__init__()
        self.num_chars = num_chars
        self.seq_length = seq_length
        self.batch_size = batch_size
        self.as_written = as_written
        self.cell = tf.keras.layers.LSTMCell(units=UNITS)
        self.dense = tf.keras.layers.Dense(units=self.num_chars)

    def call(self, inputs, from_logits=False):
        inputs = tf.one_hot(inputs, depth=self.num_chars)  # [batch_size, seq_length, num_chars]
        if self.as_written:
            state = handbook_initial_state(self.cell, self.batch_size)
        else:
            state = initial_state(self.cell, self.batch_size)
        for t in range(self.seq_length):
            output, state = self.cell(inputs[:, t, :], state)
        logits = self.dense(output)
        if from_logits:
            return logits
        else:
            return tf.nn.softmax(logits)

    def predict(self, inputs, temperature=1.):
        batch_size, _ = tf.shape(inputs)
        logits = self(inputs, from_logits=True)
        prob = tf.nn.softmax(logits / temperature).numpy()
        return np.array([np.random.choice(self.num_chars, p=prob[i, :]) for i in range(batch_size.numpy())])


def rnn_loss(model, x, y):
    """The book's loss: mean sparse categorical cross-entropy of the softmax output."""
    y_pred = model(x)
    loss = tf.keras.losses.sparse_categorical_crossentropy(y_true=y, y_pred=y_pred)
    return tf.reduce_mean(loss)


def rnn_train_body(model, optimizer):
    """The body of the book's training loop, eager as the book writes it: step(x, y) -> loss."""

    def step(x, y):
        with tf.GradientTape() as tape:
            loss = rnn_loss(model, x, y)
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
        return loss

    return step


def rnn_train_step(model, optimizer):
    """The same body as a tf.function (one per model/optimizer pair), as the suite's training runs it."""
    return tf.function(rnn_train_body(model, optimizer))


def generate(model, data_loader, x, pred_seq_len=PRED_SEQ_LEN, diversity=1.0, windows=None):
    """The book's generation loop, returning the text it prints; `windows` (a list) collects each x."""
    chars = []
    for t in range(pred_seq_len):
        y_pred = model.predict(x, diversity)
        chars.append(data_loader.indices_char[y_pred[0]])
        x = np.concatenate([x[:, 1:], np.expand_dims(y_pred, axis=1)], axis=-1)
        if windows is not None:
            windows.append(x)
    return "".join(chars)


# ------------------------------------------------------------------ （五）深度强化学习

NUM_EPISODES = 500
NUM_EXPLORATION_EPISODES = 100
MAX_LEN_EPISODE = 1000
DQN_BATCH_SIZE = 32
DQN_LEARNING_RATE = 1e-3
GAMMA = 1.
INITIAL_EPSILON = 1.
FINAL_EPSILON = 0.01
REPLAY_BUFFER_SIZE = 10000


class QNetwork(tf.keras.Model):
    def __init__(self):
        super(QNetwork, self).__init__()
        self.dense1 = tf.keras.layers.Dense(units=24, activation=tf.keras.activations.relu)
        self.dense2 = tf.keras.layers.Dense(units=24, activation=tf.keras.activations.relu)
        self.dense3 = tf.keras.layers.Dense(units=2)

    def call(self, inputs):
        x = self.dense1(inputs)
        x = self.dense2(x)
        x = self.dense3(x)
        return x

    def predict(self, inputs):
        q_values = self(inputs)
        return tf.argmax(q_values, axis=-1)


def epsilon_for(episode_id, initial_epsilon=INITIAL_EPSILON, final_epsilon=FINAL_EPSILON,
                num_exploration_episodes=NUM_EXPLORATION_EPISODES):
    """The book's ε expression."""
    return max(
        initial_epsilon * (num_exploration_episodes - episode_id) / num_exploration_episodes,
        final_epsilon,
    )


def choose_action(env, act, state, epsilon):
    """The book's ε-greedy choice: a random action with probability ε, otherwise the model's, where act
    is model.predict (eager, as the book calls it) or tf.function(model.predict)."""
    if random.random() < epsilon:
        action = env.action_space.sample()
    else:
        action = act(np.expand_dims(state, axis=0)).numpy()
        action = action[0]
    return action


def new_replay_buffer():
    return deque(maxlen=REPLAY_BUFFER_SIZE)


def record(replay_buffer, state, action, reward, next_state, done):
    """The book's two lines: the −10 reward on termination, then the 5-tuple into the buffer."""
    reward = -10. if done else reward
    replay_buffer.append((state, action, reward, next_state, 1 if done else 0))
    return reward


def sample_batch(replay_buffer, batch_size=DQN_BATCH_SIZE):
    return map(np.array, zip(*random.sample(replay_buffer, batch_size)))


def dqn_target(model, batch_reward, batch_next_state, batch_done, gamma=GAMMA):
    """The book's y, with its mix of NumPy arrays and tensors."""
    q_value = model(batch_next_state)
    return batch_reward + (gamma * tf.reduce_max(q_value, axis=1)) * (1 - batch_done)


def mean_squared_error(y_true, y_pred):
    """tf.keras.losses.mean_squared_error where it exists (Keras 2); Keras 3's tf.keras.losses only
    exports the alias mse for it (claim dqn.mse-function-name tests the book's name)."""
    function = getattr(tf.keras.losses, "mean_squared_error", None) or tf.keras.losses.mse
    return function(y_true=y_true, y_pred=y_pred)


def dqn_loss(model, batch_state, batch_action, y):
    return mean_squared_error(
        y_true=y,
        y_pred=tf.reduce_sum(model(batch_state) * tf.one_hot(batch_action, depth=2), axis=1),
    )


def dqn_update(model, optimizer, batch_state, batch_action, batch_reward, batch_next_state, batch_done,
               gamma=GAMMA):
    """One update of the book's loop, eagerly: returns (loss, grads) after applying the grads."""
    y = dqn_target(model, batch_reward, batch_next_state, batch_done, gamma)
    with tf.GradientTape() as tape:
        loss = dqn_loss(model, batch_state, batch_action, y)
    grads = tape.gradient(loss, model.variables)
    optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
    return loss, grads


def dqn_update_step(model, optimizer, gamma=GAMMA):
    """dqn_update as a tf.function (inputs cast to the dtypes the eager version ends up with)."""

    @tf.function
    def step(batch_state, batch_action, batch_reward, batch_next_state, batch_done):
        y = batch_reward + (gamma * tf.reduce_max(model(batch_next_state), axis=1)) * (1 - batch_done)
        with tf.GradientTape() as tape:
            loss = dqn_loss(model, batch_state, batch_action, y)
        grads = tape.gradient(loss, model.variables)
        optimizer.apply_gradients(grads_and_vars=zip(grads, model.variables))
        return loss

    def run(batch_state, batch_action, batch_reward, batch_next_state, batch_done):
        return step(tf.constant(batch_state, tf.float32), tf.constant(batch_action, tf.int32),
                    tf.constant(batch_reward, tf.float32), tf.constant(batch_next_state, tf.float32),
                    tf.constant(batch_done, tf.float32))

    return run


def reset_state(env, seed=None):
    """reset() -> the state, on either API (gym < 0.26 returned it; gym 0.26/gymnasium return (obs, info))."""
    result = env.reset(seed=seed) if seed is not None else env.reset()
    return result[0] if isinstance(result, tuple) else result


def step_four(env, action):
    """step() -> the book's (next_state, reward, done, info) on either API; done = terminated or truncated."""
    result = env.step(action)
    if len(result) == 5:
        next_state, reward, terminated, truncated, info = result
        return next_state, reward, bool(terminated or truncated), info
    return result


# -- whole runs, shared by the slow tier's shortened budgets and the book tier's own -----------------


def train_rnn(data_loader, device_name: str, seed: int, num_batches: int = NUM_BATCHES):
    """The book's training loop (Adam 1e-3, batch 50, seq_length 40) from `seed` for num_batches
    batches, the step compiled (rnn_train_step): (model, losses)."""
    tf.keras.utils.set_random_seed(seed)  # initial weights and get_batch's draws
    with tf.device(device_name):
        model = RNN(num_chars=len(data_loader.chars), batch_size=BATCH_SIZE, seq_length=SEQ_LENGTH)
        step = rnn_train_step(model, tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE))
        losses = []
        for _ in range(num_batches):
            x, y = data_loader.get_batch(SEQ_LENGTH, BATCH_SIZE)
            losses.append(float(step(x, y)))
    return model, losses


def run_dqn(env, seed: int, num_episodes: int = NUM_EPISODES, device_name: str = "/device:CPU:0"):
    """The book's main loop on today's API (reset_state/step_four) for num_episodes episodes from
    `seed` (Python's random, NumPy and TensorFlow, and the action space), the update compiled
    (dqn_update_step) and the action chosen through tf.function(model.predict): the scores, the
    book's t of each episode."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    tf.random.set_seed(seed)
    with tf.device(device_name):
        model = QNetwork()
        optimizer = tf.keras.optimizers.Adam(learning_rate=DQN_LEARNING_RATE)
        replay_buffer = new_replay_buffer()
        update = dqn_update_step(model, optimizer)
        act = tf.function(model.predict)
        env.action_space.seed(seed)
        scores = []
        for episode_id in range(num_episodes):
            state = reset_state(env, seed=seed if episode_id == 0 else None)
            epsilon = epsilon_for(episode_id)
            for t in range(MAX_LEN_EPISODE):
                action = choose_action(env, act, state, epsilon)
                next_state, reward, done, info = step_four(env, action)
                record(replay_buffer, state, action, reward, next_state, done)
                state = next_state
                if done:
                    scores.append(t)  # the book prints t as the score
                    break
                if len(replay_buffer) >= DQN_BATCH_SIZE:
                    update(*sample_batch(replay_buffer, DQN_BATCH_SIZE))
    return scores


def random_policy_scores(env, seed: int, episodes: int = 100):
    """The scores (the book's t) of a policy that samples its actions, from `seed`."""
    env.action_space.seed(seed)
    scores = []
    for episode in range(episodes):
        reset_state(env, seed=seed + episode)
        for t in range(MAX_LEN_EPISODE):
            _, _, done, _ = step_four(env, env.action_space.sample())
            if done:
                scores.append(t)
                break
    return scores
