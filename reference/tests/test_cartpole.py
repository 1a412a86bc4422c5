"""CartPole's first step from rest, worked by hand, and its termination thresholds."""
import math

import numpy as np
import pytest

from reference import cartpole


def test_first_push_from_rest_by_hand():
    # At rest, upright, pushed right: F/M = 100/11, the angular denominator l(4/3 − m/M) = 41/66,
    # so θ̈ = −600/41 and ẍ = 100/11 + 300/451 = 400/41; Euler moves the velocities only.
    state, reward, done = cartpole.step(np.zeros(4), 1)
    assert cartpole.accelerations(np.zeros(4), 1) == pytest.approx((400 / 41, -600 / 41), rel=1e-14)
    assert state == pytest.approx([0.0, 0.02 * 400 / 41, 0.0, -0.02 * 600 / 41], rel=1e-14)
    assert (reward, done) == (1.0, False)
    left, _, _ = cartpole.step(np.zeros(4), 0)
    assert left == pytest.approx(-state, rel=1e-14)


def test_thresholds():
    assert cartpole.THETA_THRESHOLD == pytest.approx(math.radians(12))
    for x, theta, done in [(2.4, 0, False), (2.4000001, 0, True), (-2.4000001, 0, True),
                           (0, math.radians(12) - 1e-9, False), (0, math.radians(12) + 1e-9, True),
                           (0, -math.radians(12) - 1e-9, True)]:
        assert cartpole.is_terminal([x, 0, theta, 0]) is done, (x, theta)


def test_rollout_stops_at_termination():
    states, rewards, flags = cartpole.rollout(np.zeros(4), [1] * 200)
    assert flags[-1] and not any(flags[:-1]) and rewards == [1.0] * len(rewards)
    assert len(states) < 200
