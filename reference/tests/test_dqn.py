"""The DQN pieces against hand-worked values and finite differences."""
import numpy as np
import pytest

from reference import dqn


def small_weights(rng):
    shapes = [(4, 24), (24,), (24, 24), (24,), (24, 2), (2,)]
    return [rng.standard_normal(s) * 0.5 for s in shapes]


def test_q_values_by_hand():
    eye = [np.eye(4, 24), np.zeros(24), np.eye(24), np.zeros(24), np.zeros((24, 2)), np.array([1.0, 2.0])]
    eye[4][0, 0], eye[4][1, 1] = 1.0, -1.0
    q = dqn.q_values(np.array([[3.0, 5.0, 0, 0], [-3.0, 5.0, 0, 0]]), eye)
    assert q.tolist() == [[4.0, -3.0], [1.0, -3.0]]  # relu cuts −3
    assert dqn.greedy_actions(np.array([[3.0, 5.0, 0, 0]]), eye).tolist() == [0]


def test_epsilon_schedule_by_hand():
    assert [dqn.epsilon(e, 1.0, 0.01, 100) for e in (0, 50, 98, 99, 100, 499)] == pytest.approx(
        [1.0, 0.5, 0.02, 0.01, 0.01, 0.01])


def test_target_and_terminal_reward():
    assert dqn.terminal_reward(1.0, True) == -10.0 and dqn.terminal_reward(1.0, False) == 1.0
    y = dqn.td_target([1.0, -10.0], [[2.0, 5.0], [7.0, 3.0]], [0, 1], 0.9)
    assert y.tolist() == pytest.approx([1.0 + 4.5, -10.0])


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    weights = small_weights(rng)
    states, actions, targets = rng.standard_normal((8, 4)), rng.integers(0, 2, 8), rng.standard_normal(8)
    loss, grads = dqn.loss_and_gradients(weights, states, actions, targets)
    q = dqn.q_values(states, weights)
    assert loss == pytest.approx(np.mean((q[np.arange(8), actions] - targets) ** 2), rel=1e-14)
    h = 1e-6
    for k, w in enumerate(weights):
        for index in list(np.ndindex(w.shape))[:5]:
            plus = [x.copy() for x in weights]
            minus = [x.copy() for x in weights]
            plus[k][index] += h
            minus[k][index] -= h
            numeric = (dqn.loss_and_gradients(plus, states, actions, targets)[0]
                       - dqn.loss_and_gradients(minus, states, actions, targets)[0]) / (2 * h)
            assert grads[k][index] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (k, index)


def test_adam_first_step_moves_by_the_learning_rate():
    # Step 1: m̂/√v̂ = g/|g|, so every parameter moves by lr against its gradient's sign (ε aside).
    p, m, v = dqn.adam_step(np.array([1.0, 1.0]), np.array([0.5, -2.0]), np.zeros(2), np.zeros(2), 1, 1e-3, epsilon=0.0)
    assert p == pytest.approx([1.0 - 1e-3, 1.0 + 1e-3], rel=1e-15)
    assert m == pytest.approx([0.05, -0.2]) and v == pytest.approx([0.00025, 0.004])
