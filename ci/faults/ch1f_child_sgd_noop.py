"""In child Python processes Keras' SGD.apply_gradients leaves every variable unchanged (MirroredStrategy and one device alike)."""

TARGETS = ["spec/test_ch1_distribution.py"]  # run first and in full (ci.fault_injection)

# The distributed training runs in fresh interpreters, so the fault travels there through
# child_site/sitecustomize.py (see ci.faults.child_log_level_ignored); the test process is untouched.
import os
from pathlib import Path

FLAG = "HANDBOOK_SPEC_FAULT_CHILD_SGD_NOOP"
SITE = Path(__file__).with_name("child_site")

os.environ[FLAG] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH")) if p)
