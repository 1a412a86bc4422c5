"""Deep Q-learning pieces in NumPy (float64), for 三 / （五）深度强化学习: the 4-24-24-2 Q-network's
forward pass and its gradients, the ε schedule, the terminal reward, the target
y = r + γ·max_a Q(s', a)·(1 − done), the squared-error loss on Q(s, a), and Adam's update
(Kingma & Ba 2015, in the form Keras documents: ε added to √v̂, bias correction folded into the step).
"""
from __future__ import annotations

import numpy as np


def relu(z):
    return np.maximum(z, 0.0)


def q_values(states, weights) -> np.ndarray:
    """weights = [W1, b1, W2, b2, W3, b3] with W of shape [in, out]; returns Q [batch, actions]."""
    w1, b1, w2, b2, w3, b3 = (np.asarray(w, np.float64) for w in weights)
    h1 = relu(np.asarray(states, np.float64) @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    return h2 @ w3 + b3


def greedy_actions(states, weights) -> np.ndarray:
    return np.argmax(q_values(states, weights), axis=-1)


def epsilon(episode: int, initial: float, final: float, exploration_episodes: int) -> float:
    """Linear decay from `initial` at episode 0 towards 0 at `exploration_episodes`, never below `final`."""
    fraction_left = (exploration_episodes - episode) / exploration_episodes
    return max(initial * fraction_left, final)


def terminal_reward(reward: float, done: bool, penalty: float = -10.0) -> float:
    return penalty if done else reward


def td_target(rewards, next_q, done, gamma: float) -> np.ndarray:
    """y = r + γ·max_a Q(s', a)·(1 − done)."""
    rewards, next_q, done = (np.asarray(a, np.float64) for a in (rewards, next_q, done))
    return rewards + gamma * next_q.max(axis=1) * (1.0 - done)


def loss_and_gradients(weights, states, actions, targets, num_actions: int = 2):
    """Mean over the batch of (y − Q(s, a))² and its gradient for each weight (y held constant)."""
    w1, b1, w2, b2, w3, b3 = (np.asarray(w, np.float64) for w in weights)
    x = np.asarray(states, np.float64)
    z1 = x @ w1 + b1
    h1 = relu(z1)
    z2 = h1 @ w2 + b2
    h2 = relu(z2)
    q = h2 @ w3 + b3
    chosen = np.eye(num_actions)[np.asarray(actions)]
    q_sa = np.sum(q * chosen, axis=1)
    residual = q_sa - np.asarray(targets, np.float64)
    n = x.shape[0]
    loss = float(np.mean(residual**2))
    d_q = (2.0 / n) * residual[:, None] * chosen
    g_w3, g_b3 = h2.T @ d_q, d_q.sum(axis=0)
    d_z2 = (d_q @ w3.T) * (z2 > 0)
    g_w2, g_b2 = h1.T @ d_z2, d_z2.sum(axis=0)
    d_z1 = (d_z2 @ w2.T) * (z1 > 0)
    g_w1, g_b1 = x.T @ d_z1, d_z1.sum(axis=0)
    return loss, [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]


def adam_step(param, grad, m, v, step: int, learning_rate: float,
              beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
    """One Adam update at 1-based `step`: returns (param, m, v)."""
    param, grad, m, v = (np.asarray(a, np.float64) for a in (param, grad, m, v))
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad**2
    alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    return param - alpha * m / (np.sqrt(v) + epsilon), m, v
