"""Workload 5 — one DQN update (三、TensorFlow模型建立与训练 / （五）深度强化学习) on a batch of 32
transitions: the book's update eagerly as written (spec.models_rnn_rl.dqn_update: the target from
the Q-network, the tape, mean squared error, Adam), and the same update in a tf.function
(dqn_update_step).

Transitions are synthetic CartPole-shaped (4 state values, 2 actions, reward 1, some episodes
done); the update's cost does not depend on the values. Every run checks, after timing, one more
update's loss against the NumPy reference (reference/dqn.py: target and loss from the weights
the update starts from). Untimed, the tf.function check belongs to the slow tier
(slow_when_untimed): its trace costs about 2 s of CPU.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reference import dqn as ref
from spec.assertions import assert_close
from spec.benchmarks.common import finish, measure, record
from spec.models_rnn_rl import DQN_BATCH_SIZE, DQN_LEARNING_RATE, GAMMA, QNetwork, dqn_update, dqn_update_step

pytestmark = pytest.mark.benchmark(group=f"dqn_update: one update, batch {DQN_BATCH_SIZE}")

PLAN = {"eager": (5, 2), "tf_function": (20, 5)}  # (rounds, updates per round)


def synthetic_transitions(rng: np.random.Generator, batch: int = DQN_BATCH_SIZE):
    """(state, action, reward, next_state, done) arrays as the book's sample_batch returns them."""
    states = rng.uniform(-0.2, 0.2, (batch, 4)).astype(np.float32)  # gym's observations are float32
    actions = rng.integers(0, 2, batch)
    done = (rng.random(batch) < 0.1).astype(np.int64)
    rewards = np.where(done == 1, -10.0, 1.0)
    next_states = (states + rng.uniform(-0.05, 0.05, (batch, 4))).astype(np.float32)
    return states, actions, rewards, next_states, done


def weights_of(model) -> list[np.ndarray]:
    return [v.numpy() for layer in (model.dense1, model.dense2, model.dense3) for v in (layer.kernel, layer.bias)]


@pytest.mark.parametrize("variant", ["eager", pytest.param("tf_function", marks=pytest.mark.slow_when_untimed)])
def test_dqn_update(benchmark, device, variant, seed):
    batch = synthetic_transitions(np.random.default_rng(seed))
    with tf.device(device.name):
        model = QNetwork()
        model(tf.zeros((1, 4)))
        optimizer = tf.keras.optimizers.Adam(learning_rate=DQN_LEARNING_RATE)
        compiled = dqn_update_step(model, optimizer)

    # update() runs inside the device scope entered around measure() (no scope cost per call).
    if variant == "eager":
        def update():
            loss, _ = dqn_update(model, optimizer, *batch)
            finish(device, loss)
            return loss
    else:
        def update():
            loss = compiled(*batch)
            finish(device, loss)
            return loss

    record(benchmark, workload="dqn_update", variant=variant, device=device, units=DQN_BATCH_SIZE,
           unit="transitions", baseline=variant == "eager")
    rounds, iterations = PLAN[variant]
    with tf.device(device.name):
        measure(benchmark, update, rounds=rounds, iterations=iterations)

    states, actions, rewards, next_states, done = batch
    before = weights_of(model)
    target = ref.td_target(rewards, ref.q_values(next_states, before), done, GAMMA)
    want_loss, _ = ref.loss_and_gradients(before, states, actions, target)
    with tf.device(device.name):
        loss = update()
    assert_close(loss, want_loss, rtol=1e-4, atol=1e-6, what=f"{variant} DQN loss vs reference", device=device)
    assert any(not np.array_equal(a, b) for a, b in zip(before, weights_of(model))), "the update changed no weight"
