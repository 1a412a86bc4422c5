"""Start-up hook of child Pythons for the faults that act in child processes (on PYTHONPATH only while
such a fault is planted); each part acts only when its fault's variable is set:

- HANDBOOK_SPEC_FAULT_CHILD_LOG_LEVEL (ci.faults.child_log_level_ignored): force TensorFlow's C++ log
  level to 0 before anything imports TensorFlow.
- HANDBOOK_SPEC_FAULT_TENSORBOARD_PORT=N (ci.faults.ch4_tensorboard_default_port): TensorBoard's
  default port becomes N.
- HANDBOOK_SPEC_FAULT_CHILD_SGD_NOOP (ci.faults.ch1f_child_sgd_noop): Keras' SGD.apply_gradients
  changes nothing.
- HANDBOOK_SPEC_FAULT_TFLITE_QUANTISED_UNIFORM (ci.faults.ch1f_tflite_quantised_uniform):
  dynamic-range TF Lite conversion zeroes the model's last kernel.

The last three patch a module right after it is first imported (a finder at the head of
sys.meta_path), so a child that never imports it is untouched and nothing is imported early.
"""
import os
import sys

if os.environ.get("HANDBOOK_SPEC_FAULT_CHILD_LOG_LEVEL"):
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"


class _PatchAfterImport:
    """A meta-path finder that lets the other finders find `names`, then runs patch(module) once each
    module has executed."""

    def __init__(self, names, patch):
        self.names, self.patch = set(names), patch

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader, patch = spec.loader, self.patch
        exec_module = loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            patch(module)

        loader.exec_module = exec_and_patch
        return spec


if os.environ.get("HANDBOOK_SPEC_FAULT_TENSORBOARD_PORT"):
    def _set_default_port(module, port=int(os.environ["HANDBOOK_SPEC_FAULT_TENSORBOARD_PORT"])):
        module.DEFAULT_PORT = port

    sys.meta_path.insert(0, _PatchAfterImport(["tensorboard.plugins.core.core_plugin"], _set_default_port))

if os.environ.get("HANDBOOK_SPEC_FAULT_CHILD_SGD_NOOP"):
    def _sgd_does_nothing(module):
        module.SGD.apply_gradients = lambda self, grads_and_vars, *args, **kwargs: None

    # Keras 3, Keras 2.13-2.15 and tf-keras keep SGD in these modules.
    sys.meta_path.insert(0, _PatchAfterImport(["keras.src.optimizers.sgd", "tf_keras.src.optimizers.sgd"],
                                              _sgd_does_nothing))

if os.environ.get("HANDBOOK_SPEC_FAULT_TFLITE_QUANTISED_UNIFORM"):
    def _quantise_uniform(module):
        import tflite_quantised_uniform  # beside this file (ci.faults.ch1f_tflite_quantised_uniform)

        tflite_quantised_uniform.patch(module.TFLiteConverterV2)

    sys.meta_path.insert(0, _PatchAfterImport(["tensorflow.lite.python.lite"], _quantise_uniform))
