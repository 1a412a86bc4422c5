"""In child Python processes TensorFlow ignores TF_CPP_MIN_LOG_LEVEL and logs everything (level 0)."""

TARGETS = ["spec/test_ch1_overview.py"]  # run first and in full (ci.fault_injection)

# The log level only matters in the fresh interpreters the subprocess tests start, so this fault
# travels to them: child_site/ holds a sitecustomize.py that every child Python imports at start-up
# once it is on PYTHONPATH, and that acts only when FLAG is set. The test process is untouched.
import os
from pathlib import Path

FLAG = "HANDBOOK_SPEC_FAULT_CHILD_LOG_LEVEL"
SITE = Path(__file__).with_name("child_site")

os.environ[FLAG] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH")) if p)
