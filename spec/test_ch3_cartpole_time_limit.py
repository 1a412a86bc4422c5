"""三、TensorFlow模型建立与训练 / （五）深度强化学习: `max_len_episode = 1000  # 每个episode的最大回合数` against
CartPole-v1 itself. The book's episode loop (`for t in range(max_len_episode)`, ended by `done`) is run
as spec.models_rnn_rl writes it for today's API (done = terminated or truncated), driven by a fixed
linear controller that keeps the pole up, so only the episode's length limit can end it: once with
CartPole-v1 as registered, once with its TimeLimit raised to the book's 1000 steps to show that the
controller does last that long. On gym (the book's package) the passive environment checker is off,
because under NumPy 2 it fails on np.bool8 (that is rl.gym-step-four-values, not this claim).
"""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

from spec import models_rnn_rl as M


def make(package: str, **kwargs):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gym 0.26 warns about itself on import
            gym = importlib.import_module(package)
    except ImportError as exc:
        pytest.skip(f"{package} is not installed ({exc}); install the rl extra to check the book's Gym calls")
    if package == "gym":
        kwargs["disable_env_checker"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gym.make("CartPole-v1", **kwargs)


def upright(state) -> int:
    """Push towards where the pole falls: a linear controller that balances CartPole indefinitely."""
    x, x_dot, theta, theta_dot = state
    return int(10 * theta + 2 * theta_dot + 0.5 * x + x_dot > 0)


def book_episode(env, seed: int) -> tuple[int, int, float, bool]:
    """One episode of the book's inner loop: (steps taken, the book's printed t, the reward stored
    for the last step, whether `done` ended it)."""
    state = M.reset_state(env, seed=seed)
    stored, done = None, False
    for t in range(M.MAX_LEN_EPISODE):
        next_state, reward, done, info = M.step_four(env, upright(state))
        reward = -10. if done else reward  # 如果游戏Game Over，给予大的负奖励
        stored = reward
        state = next_state
        if done:
            break
    return t + 1, t, stored, done


@pytest.mark.claim("dqn.max-len-episode")
@pytest.mark.parametrize("package", ["gymnasium", "gym"])
def test_an_episode_can_last_max_len_episode_steps(package, seed, measured):
    env = make(package)
    limit = env.spec.max_episode_steps
    steps, printed, last_reward, ended_by_done = book_episode(env, seed)
    env.close()
    raised = make(package, max_episode_steps=M.MAX_LEN_EPISODE)
    steps_raised, *_ = book_episode(raised, seed)
    raised.close()
    measured("CartPole-v1's max_episode_steps", limit, handbook=M.MAX_LEN_EPISODE)
    measured("steps of an episode the pole never falls in", steps, handbook=M.MAX_LEN_EPISODE,
             note=f"the book prints score {printed}; reward stored for the last step {last_reward}")
    measured(f"the same with max_episode_steps={M.MAX_LEN_EPISODE}", steps_raised)
    assert steps_raised == M.MAX_LEN_EPISODE, (
        f"the controller kept the pole up for only {steps_raised} steps with the limit raised: it cannot test the claim")
    assert steps == M.MAX_LEN_EPISODE, (
        f"{package}'s CartPole-v1 ends the episode after {steps} steps (TimeLimit max_episode_steps={limit}), "
        f"so max_len_episode = {M.MAX_LEN_EPISODE} is never reached; the book's loop takes the time-out for a "
        f"Game Over (done, reward {last_reward})")
    assert not ended_by_done
