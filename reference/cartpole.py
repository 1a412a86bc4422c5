"""CartPole in NumPy (float64), for 三 / （五）深度强化学习.

Equations of motion of the cart-pole of Barto, Sutton & Anderson (1983), "Neuronlike adaptive
elements that can solve difficult learning control problems", with the frictionless form derived in
R. Florian (2007), "Correct equations for the dynamics of the cart-pole system", integrated by
explicit Euler with step τ. The constants are the published CartPole-v1 ones (Gymnasium's
documentation of CartPole): g = 9.8, cart mass 1.0, pole mass 0.1, half pole length 0.5, force 10 N,
τ = 0.02 s; the episode terminates when |x| > 2.4 or |θ| > 12°; every step earns reward +1.
"""
from __future__ import annotations

import math

import numpy as np

GRAVITY = 9.8
MASS_CART = 1.0
MASS_POLE = 0.1
HALF_LENGTH = 0.5
FORCE = 10.0
TAU = 0.02
X_THRESHOLD = 2.4
THETA_THRESHOLD = 12.0 * math.pi / 180.0
MAX_EPISODE_STEPS = 500  # CartPole-v1's time limit (truncation, not termination)


def accelerations(state, action: int) -> tuple[float, float]:
    """(ẍ, θ̈) in state (x, ẋ, θ, θ̇) under a push right (action 1) or left (action 0)."""
    _, _, theta, theta_dot = (float(v) for v in state)
    force = FORCE if action == 1 else -FORCE
    total_mass = MASS_CART + MASS_POLE
    sin, cos = math.sin(theta), math.cos(theta)
    # Florian (2007), eqs. 23-24 without friction:
    # θ̈ = (g sinθ − cosθ · (F + m l θ̇² sinθ)/M) / (l (4/3 − m cos²θ / M)),  ẍ = (F + m l (θ̇² sinθ − θ̈ cosθ)) / M
    push = (force + MASS_POLE * HALF_LENGTH * theta_dot**2 * sin) / total_mass
    theta_acc = (GRAVITY * sin - cos * push) / (HALF_LENGTH * (4.0 / 3.0 - MASS_POLE * cos**2 / total_mass))
    x_acc = push - MASS_POLE * HALF_LENGTH * theta_acc * cos / total_mass
    return x_acc, theta_acc


def is_terminal(state) -> bool:
    x, _, theta, _ = (float(v) for v in state)
    return x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD


def step(state, action: int) -> tuple[np.ndarray, float, bool]:
    """One Euler step: (next state, reward, terminated). Positions move with the old velocities."""
    x, x_dot, theta, theta_dot = (float(v) for v in state)
    x_acc, theta_acc = accelerations(state, action)
    nxt = np.array([x + TAU * x_dot, x_dot + TAU * x_acc, theta + TAU * theta_dot, theta_dot + TAU * theta_acc])
    return nxt, 1.0, is_terminal(nxt)


def rollout(state, actions) -> tuple[np.ndarray, list[float], list[bool]]:
    """States after each action (stopping after the first terminal one), rewards and flags."""
    states, rewards, flags = [], [], []
    for action in actions:
        state, reward, done = step(state, action)
        states.append(state)
        rewards.append(reward)
        flags.append(done)
        if done:
            break
    return np.array(states), rewards, flags
