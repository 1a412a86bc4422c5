"""三、TensorFlow模型建立与训练 / （五）深度强化学习: the Gym calls the book makes (make, reset, step,
action_space.sample, render) on the gym package it imports and on gymnasium, its maintained
successor; CartPole's dynamics, reward and termination against reference/cartpole.py."""
from __future__ import annotations

import importlib
import re
import warnings

import numpy as np
import pytest

from reference import cartpole as ref
from spec.assertions import assert_close


def load(package: str):
    """Import gym or gymnasium, or skip saying which package is missing."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gym 0.26 warns about itself on import
            return importlib.import_module(package)
    except ImportError as exc:
        pytest.skip(f"{package} is not installed ({exc}); install the rl extra to check the book's Gym calls")


def make(package: str):
    gym = load(package)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return gym.make("CartPole-v1")


# Each API claim has a gym and a gymnasium variant (rl.gym-*, rl.gymnasium-*): one body, two tests.


def check_make(package):
    env = make(package)
    assert env.action_space.n == 2, env.action_space
    assert env.observation_space.shape == (4,), env.observation_space


def check_reset_returns_state(package, measured):
    env = make(package)
    state = env.reset()
    measured("reset() returns", type(state).__name__, note=f"{package} {load(package).__version__}")
    assert isinstance(state, np.ndarray) and state.shape == (4,), (
        f"{package}.make('CartPole-v1').reset() returned {type(state).__name__} {state!r}, not the state"
    )


def check_step_four_values(package, measured):
    env = make(package)
    env.reset()
    try:
        result = env.step(env.action_space.sample())
    except Exception as exc:  # noqa: BLE001 - whatever step raises, the book's call does not work
        measured("step() raises", f"{type(exc).__name__}: {exc}", note=f"numpy {np.__version__}")
        pytest.fail(f"{package}: env.step raised {type(exc).__name__}: {exc}", pytrace=False)
    measured("step() returns", len(result), note=f"{package} {load(package).__version__}")
    try:
        next_state, reward, done, info = result
    except ValueError as exc:
        pytest.fail(f"{package}: next_state, reward, done, info = env.step(action): {exc} "
                    f"(step returned {len(result)} values)", pytrace=False)
    assert np.shape(next_state) == (4,) and isinstance(done, (bool, np.bool_)) and isinstance(info, dict)


def check_action_space_sample(package, seed):
    env = make(package)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(200)]
    assert set(int(a) for a in actions) == {0, 1}, f"sampled {sorted(set(actions))}"
    assert all(env.action_space.contains(a) for a in actions)


def check_render(package, measured):
    env = make(package)
    env.reset()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = env.render()
    messages = [re.sub(r"\x1b\[[0-9;]*m", "", str(w.message)) for w in caught]  # drop colour codes
    measured("render() returns", repr(frame)[:80])
    declined = [m for m in messages if "render_mode" in m or "render mode" in m]
    assert not declined, f"{package}: env.render() rendered nothing and warned: {declined[0]}"


@pytest.mark.claim("rl.gym-make")
def test_gym_make_cartpole():
    check_make("gym")


@pytest.mark.claim("rl.gymnasium-make")
def test_gymnasium_make_cartpole():
    check_make("gymnasium")


@pytest.mark.claim("rl.gym-reset-returns-state")
def test_gym_reset_returns_the_state(measured):
    check_reset_returns_state("gym", measured)


@pytest.mark.claim("rl.gymnasium-reset-returns-state")
def test_gymnasium_reset_returns_the_state(measured):
    check_reset_returns_state("gymnasium", measured)


@pytest.mark.claim("rl.gym-step-four-values")
def test_gym_step_returns_four_values(measured):
    check_step_four_values("gym", measured)


@pytest.mark.claim("rl.gymnasium-step-four-values")
def test_gymnasium_step_returns_four_values(measured):
    check_step_four_values("gymnasium", measured)


@pytest.mark.claim("rl.gym-action-space-sample")
def test_gym_action_space_sample(seed):
    check_action_space_sample("gym", seed)


@pytest.mark.claim("rl.gymnasium-action-space-sample")
def test_gymnasium_action_space_sample(seed):
    check_action_space_sample("gymnasium", seed)


@pytest.mark.claim("rl.gym-render")
def test_gym_render_draws_the_frame(measured):
    check_render("gym", measured)


@pytest.mark.claim("rl.gymnasium-render")
def test_gymnasium_render_draws_the_frame(measured):
    check_render("gymnasium", measured)


# ------------------------------------------------------------------ CartPole against the reference


def raw_cartpole(package: str):
    """The CartPole class itself (no wrappers: gym 0.26's checker breaks under NumPy 2, see rl.gym-step-four-values)."""
    env = make(package).unwrapped
    env.reset(seed=0)
    return env


def start_states(rng, n):
    # reset() draws each component from U(−0.05, 0.05); add larger starts that fall within a few steps.
    yield from rng.uniform(-0.05, 0.05, size=(n, 4))
    yield np.array([0.0, 0.0, 0.15, 0.5])
    yield np.array([2.3, 1.5, 0.0, 0.0])


@pytest.mark.claim("rl.cartpole-dynamics")
@pytest.mark.parametrize("package", ["gymnasium", "gym"])
def test_trajectories_equal_the_reference(package):
    env = raw_cartpole(package)
    rng = np.random.default_rng(9)
    for start in start_states(rng, 4):
        actions = rng.integers(0, 2, size=60)
        states, rewards, flags = ref.rollout(start, actions)
        env.state = np.array(start, dtype=np.float64)
        env.steps_beyond_terminated = None
        for k, action in enumerate(actions[: len(states)]):
            obs, reward, terminated, *_ = env.step(int(action))
            internal = np.asarray(env.state, dtype=np.float64)
            what = f"{package} state after step {k + 1} from {np.round(start, 4).tolist()}"
            # Same formulas in float64: rounding differences of a few ulps, amplified a little per step.
            assert_close(internal, states[k], rtol=1e-12, atol=1e-13, what=what)
            assert_close(obs, states[k].astype(np.float32), rtol=2**-23, atol=1e-30, what=f"observation, {what}")
            assert obs.dtype == np.float32
            assert bool(terminated) == flags[k], f"{what}: terminated {terminated}, reference {flags[k]}"
    # The book's example: pushing left moves the cart left and tips the pole right (θ grows).
    env.state = np.zeros(4)
    env.step(0)
    obs, *_ = env.step(0)
    assert obs[0] < 0 and obs[2] > 0, f"after two pushes left: x = {obs[0]}, θ = {obs[2]}"


@pytest.mark.claim("rl.cartpole-reward-per-step")
def test_reward_is_one_per_step(seed, measured):
    gym = load("gymnasium")
    env = gym.make("CartPole-v1")
    env.action_space.seed(seed)
    lengths, terminal_rewards = [], []
    for episode in range(5):
        obs, _ = env.reset(seed=seed + episode)
        rewards, done = [], False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            rewards.append(reward)
            done = terminated or truncated
        assert rewards[:-1] == [1.0] * (len(rewards) - 1), f"rewards before the end: {sorted(set(rewards[:-1]))}"
        assert sum(rewards) == len(rewards) == len(rewards[:-1]) + rewards[-1], (
            f"return {sum(rewards)} over {len(rewards)} steps"
        )
        lengths.append(len(rewards))
        terminal_rewards.append(rewards[-1])
    measured("random-policy episode lengths", lengths)
    measured("reward on the terminating step", terminal_rewards, note="+1 as on every other step")


@pytest.mark.claim("rl.cartpole-termination")
@pytest.mark.parametrize("package", ["gymnasium", "gym"])
def test_termination_thresholds(package):
    env = raw_cartpole(package)
    theta = ref.THETA_THRESHOLD
    # Zero velocities leave x and θ unchanged by the Euler step, so these are the states judged.
    cases = [(2.4 - 1e-9, 0.0), (2.4 + 1e-9, 0.0), (-2.4 - 1e-9, 0.0), (-2.4 + 1e-9, 0.0),
             (0.0, theta - 1e-9), (0.0, theta + 1e-9), (0.0, -theta - 1e-9), (0.0, -theta + 1e-9), (0.0, 0.0)]
    for x, angle in cases:
        env.state = np.array([x, 0.0, angle, 0.0])
        env.steps_beyond_terminated = None
        _, reward, terminated, *_ = env.step(1)
        want = ref.is_terminal([x, 0.0, angle, 0.0])
        assert bool(terminated) == want, f"{package}: x = {x}, θ = {angle}: terminated {terminated}, expected {want}"
        assert reward == 1.0
    assert (env.x_threshold, env.theta_threshold_radians) == (ref.X_THRESHOLD, pytest.approx(theta, rel=1e-15))
