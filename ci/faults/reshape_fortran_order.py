"""tf.reshape fills the new shape in column-major (Fortran) order instead of row-major order."""

TARGETS = ["spec/test_ch2_autodiff.py", "spec/test_ch2_tensors.py"]  # run first and in full (ci.fault_injection)

import tensorflow as tf

_reshape = tf.reshape


def reshape(tensor, shape, name=None):
    # Fortran-order reshape = reverse the axes, reshape to the reversed shape in C order, reverse
    # back. Built from TF ops, so it also works while a tf.function traces.
    if isinstance(shape, (list, tuple)):
        reversed_shape = list(shape)[::-1]
    else:
        reversed_shape = tf.reverse(tf.convert_to_tensor(shape), axis=[0])
    return tf.transpose(_reshape(tf.transpose(tensor), reversed_shape, name=name))


tf.reshape = reshape
