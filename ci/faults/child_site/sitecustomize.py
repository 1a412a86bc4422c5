"""Start-up hook of child Pythons for ci.faults.child_log_level_ignored (on PYTHONPATH only while
that fault is planted): force TensorFlow's C++ log level to 0 before anything imports TensorFlow."""
import os

if os.environ.get("HANDBOOK_SPEC_FAULT_CHILD_LOG_LEVEL"):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
