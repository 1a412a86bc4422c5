"""tf.keras.layers.LSTMCell's forget gate is computed from the input gate's pre-activation."""
TARGETS = ["spec/test_ch3_rnn.py"]  # run first and in full (ci.fault_injection)
import tensorflow as tf

LSTMCell = tf.keras.layers.LSTMCell


def _compute_carry_and_output_fused(self, z, c_tm1):
    z_i, _z_f, z_c, z_o = z
    input_gate = self.recurrent_activation(z_i)
    forget_gate = self.recurrent_activation(z_i)  # should be z_f
    carry = forget_gate * c_tm1 + input_gate * self.activation(z_c)
    return carry, self.recurrent_activation(z_o)


LSTMCell._compute_carry_and_output_fused = _compute_carry_and_output_fused
