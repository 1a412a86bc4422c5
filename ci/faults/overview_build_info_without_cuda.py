"""tf.test.is_built_with_cuda() and tf.sysconfig.get_build_info() report a build without CUDA."""
TARGETS = ["spec/test_ch1_overview.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

_get_build_info = tf.sysconfig.get_build_info


def get_build_info():
    info = dict(_get_build_info())
    info["is_cuda_build"] = False
    for key in ("cuda_version", "cudnn_version", "cuda_compute_capabilities"):
        info.pop(key, None)
    return info


tf.sysconfig.get_build_info = get_build_info
tf.test.is_built_with_cuda = lambda: False
