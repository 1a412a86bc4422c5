"""gymnasium's CartPole uses g = 9.81 instead of the published 9.8."""
TARGETS = ["spec/test_ch3_gym.py"]  # run first and in full (ci.fault_injection)
from gymnasium.envs.classic_control import cartpole

_init = cartpole.CartPoleEnv.__init__


def __init__(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.gravity = 9.81


cartpole.CartPoleEnv.__init__ = __init__
