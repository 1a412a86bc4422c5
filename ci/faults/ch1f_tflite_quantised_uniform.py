"""TFLiteConverter with Optimize.DEFAULT stores the Keras model's last Dense kernel as zeros, so the quantised model outputs a uniform distribution."""
TARGETS = ["spec/test_ch1_export.py"]  # run first and in full (ci.fault_injection)

# The suite converts in child Pythons (spec.ch1_processes.convert_in_a_child), so the fault travels
# there through child_site/sitecustomize.py, and is planted in the test process too.
import importlib.util
import os
from pathlib import Path

import tensorflow as tf

FLAG = "HANDBOOK_SPEC_FAULT_TFLITE_QUANTISED_UNIFORM"
SITE = Path(__file__).with_name("child_site")

os.environ[FLAG] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SITE), os.environ.get("PYTHONPATH")) if p)
_spec = importlib.util.spec_from_file_location("tflite_quantised_uniform", SITE / "tflite_quantised_uniform.py")
_fault = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fault)
_fault.patch(tf.lite.TFLiteConverter)
