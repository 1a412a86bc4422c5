"""三、TensorFlow模型建立与训练 / （五）深度强化学习: the brick-breaking game the section turns to at its end,
"每一次执行动作（挡板向左、向右或不动），都会返回一个210×160×3的RGB图片". Breakout from the Arcade Learning
Environment through gymnasium (extra `atari`: gymnasium[atari], i.e. ale-py, whose wheel ships the
game ROMs since 0.9, so nothing is downloaded). The book's own `gym` 0.26 cannot make Atari games with
that ale-py (it dropped gym's entry point, and the last ale-py for gym ships no ROMs): the test notes
what gym says, and checks the frames on gymnasium, gym's maintained successor, as rl.gymnasium-* do.
"""
from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

FRAME = (210, 160, 3)  # the book's 210×160×3
GAME = "ALE/Breakout-v5"
STEPS_PER_ACTION = 25


def breakout(**kwargs):
    """gymnasium's Breakout, or skip naming the extra."""
    try:
        ale_py = importlib.import_module("ale_py")
        gymnasium = importlib.import_module("gymnasium")
    except ImportError as exc:
        pytest.skip(f"the Atari games are not installed ({exc}); install the `atari` extra "
                    "(pip install '.[atari]': gymnasium[atari], ale-py with its ROMs)")
    if hasattr(gymnasium, "register_envs"):  # gymnasium >= 1.0 registers plugins only when asked
        gymnasium.register_envs(ale_py)
    return gymnasium.make(GAME, **kwargs)


def what_gym_says() -> str:
    """What the book's `import gym` gives for the same game (a note, not the claim)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gym = importlib.import_module("gym")
            env = gym.make(GAME)
    except ImportError:
        return "gym is not installed"
    except Exception as exc:  # noqa: BLE001 - whatever gym raises is the note
        return f"{type(exc).__name__}: {exc}"
    env.close()
    return f"gym made {GAME}"


@pytest.mark.claim("rl.atari-frame-shape")
def test_every_breakout_action_returns_a_210x160x3_rgb_frame(seed, measured):
    env = breakout()
    try:
        ale = env.unwrapped.ale
        meanings = env.unwrapped.get_action_meanings()
        measured("observation space", str(env.observation_space), handbook="210×160×3 RGB")
        measured("actions", meanings, handbook="挡板向左、向右或不动 (left, right, stay)",
                 note="FIRE launches the ball")
        measured("gym.make of the same game", what_gym_says())
        obs, _ = env.reset(seed=seed)
        frames = [("reset", obs)]
        env.action_space.seed(seed)
        for k in range(STEPS_PER_ACTION * env.action_space.n):
            action = k % env.action_space.n  # every action, in turn
            obs, _, terminated, truncated, _ = env.step(action)
            frames.append((meanings[action], obs))
            assert np.array_equal(obs, ale.getScreenRGB()), f"after {meanings[action]}: the frame is not the screen"
            if terminated or truncated:
                obs, _ = env.reset()
        shapes = sorted({(tuple(np.shape(f)), str(getattr(f, "dtype", type(f).__name__))) for _, f in frames})
        measured("frame shapes and dtypes", [f"{s} {d}" for s, d in shapes], handbook="(210, 160, 3)")
        for what, frame in frames:
            assert isinstance(frame, np.ndarray) and frame.shape == FRAME and frame.dtype == np.uint8, (
                f"after {what}: a {type(frame).__name__} {np.shape(frame)} {getattr(frame, 'dtype', '')} frame, "
                f"not {FRAME} uint8")
        # RGB, not one grey channel repeated: Breakout's brick rows have distinct hues.
        last = frames[-1][1]
        assert np.any(last[..., 0] != last[..., 1]) and np.any(last[..., 1] != last[..., 2]), "the frame is grey"
    finally:
        env.close()
