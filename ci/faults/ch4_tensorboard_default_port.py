"""The tensorboard command's default port is 6010 instead of 6006 (in the TensorBoard process the suite starts)."""

TARGETS = ["spec/test_ch4_tensorboard.py"]  # run first and in full (ci.fault_injection)

# TensorBoard runs in a child process, so the fault travels there through child_site/sitecustomize.py
# (see ci.faults.child_log_level_ignored); the test process's TensorBoard is untouched.
import os
from pathlib import Path

FLAG = "HANDBOOK_SPEC_FAULT_TENSORBOARD_PORT"
SITE = Path(__file__).with_name("child_site")

os.environ[FLAG] = "6010"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH")) if p)
