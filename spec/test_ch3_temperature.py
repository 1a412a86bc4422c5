"""三、TensorFlow模型建立与训练 / （四）循环神经网络, the predict() method: softmax(logits / T)
against the reference, the shape of the distribution as T varies (hypothesis), and sampling with
np.random.choice checked by a seeded goodness-of-fit test with a stated false-alarm rate."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reference import sampling as ref
from reference.statistics import dkw_bound
from spec import models_rnn_rl as M
from spec.assertions import assert_close, assert_exact, assert_on_device

# Logits as an RNN produces them: a handful of classes, moderate values, float32.
logit_vectors = hnp.arrays(np.float32, st.integers(2, 12),
                           elements=st.floats(-10, 10, width=32, allow_subnormal=False))
temperatures = st.floats(0.05, 20.0)
# float32 softmax: probabilities carry errors of a few ulps of 1.
PROB_ATOL = 1e-6


def assert_is_the_reference(prob, logits, temperature, device):
    """TF's softmax(logits / T) is the reference's, so each property below is a property of TF's
    function, not of any normalised exponential (float32: a few ulps, tiny probabilities flush).

    The book divides float32 logits by T in float32; the reference takes that quotient (IEEE
    division, correctly rounded) and computes the softmax in float64. Its rounding (half an ulp,
    6e-8 relative) is multiplied by |logits / T| in the exponent, 260 at T = 0.038 with logits of
    10, which the float64 quotient would count as TF's error (hypothesis found such a case)."""
    __tracebackhide__ = True
    quotient = np.asarray(logits, np.float32) / np.float32(temperature)
    assert_close(prob, ref.softmax_with_temperature(quotient.astype(np.float64), 1.0), rtol=1e-5, atol=1e-9,
                 what=f"softmax(logits / {temperature})", device=device)


def temperature_softmax(logits, temperature, device):
    """The line of predict(): tf.nn.softmax(logits / temperature)."""
    with tf.device(device.name):
        prob = tf.nn.softmax(tf.constant(logits) / temperature)
    assert_on_device(prob, device)
    return prob.numpy()


def temperature_softmaxes(logits, temperatures, device):
    """The same for several temperatures at once (one row each): fewer eager calls per example."""
    with tf.device(device.name):
        scaled = tf.constant(logits)[None, :] / tf.constant(temperatures, tf.float32)[:, None]
        prob = tf.nn.softmax(scaled)
    assert_on_device(prob, device)
    return prob.numpy()


@pytest.mark.claim("rnn.temperature-softmax")
@pytest.mark.parametrize("temperature", [0.2, 0.5, 1.0, 2.0, 5.0])
def test_temperature_softmax_matches_the_reference(temperature, device):
    logits = np.random.default_rng(7).normal(0, 3, size=(4, 57)).astype(np.float32)
    prob = temperature_softmax(logits, temperature, device)
    assert_close(prob, ref.softmax_with_temperature(logits, temperature), rtol=1e-5, atol=1e-9,
                 what=f"softmax(logits / {temperature})", device=device)


@pytest.mark.claim("rnn.temperature-is-distribution")
@given(logits=logit_vectors, temperature=temperatures)
def test_every_temperature_gives_a_distribution(logits, temperature, device):
    prob = temperature_softmax(logits, temperature, device)
    assert_is_the_reference(prob, logits, temperature, device)
    assert np.all(prob >= 0) and np.all(prob <= 1), prob
    assert abs(float(np.sum(prob, dtype=np.float64)) - 1.0) <= len(prob) * PROB_ATOL, prob.sum()


@pytest.mark.claim("rnn.temperature-flattens")
@given(logits=logit_vectors, t1=temperatures, t2=temperatures)
def test_higher_temperature_is_flatter(logits, t1, t2, device):
    low, high = sorted((t1, t2))
    p_low, p_high = temperature_softmaxes(logits, [low, high], device).astype(np.float64)
    assert_is_the_reference(p_low, logits, low, device)
    assert_is_the_reference(p_high, logits, high, device)
    slack = len(logits) * PROB_ATOL  # float32 rounding of the probabilities
    entropy_slack = slack * (1 + abs(np.log(PROB_ATOL)))
    assert ref.entropy(p_high) >= ref.entropy(p_low) - entropy_slack, (
        f"entropy fell from {ref.entropy(p_low)} at T={low} to {ref.entropy(p_high)} at T={high}"
    )
    gap_low, gap_high = np.ptp(p_low), np.ptp(p_high)
    assert gap_high <= gap_low + slack, f"max − min grew from {gap_low} at T={low} to {gap_high} at T={high}"


@pytest.mark.claim("rnn.temperature-to-zero-is-argmax")
@given(logits=logit_vectors)
def test_small_temperature_tends_to_argmax(logits, device):
    top2 = np.sort(logits.astype(np.float64))[-2:]
    margin = top2[1] - top2[0]
    assume(margin >= 0.05)  # a unique largest logit
    winner = int(np.argmax(logits))
    previous = 0.0
    scales = (1.0, 4.0, 40.0)  # T = margin/scale: the winner's odds grow like e^scale
    temperatures = [margin / scale for scale in scales]
    for prob, temperature in zip(temperature_softmaxes(logits, temperatures, device), temperatures):
        assert_is_the_reference(prob, logits, temperature, device)
        assert int(np.argmax(prob)) == winner
        assert prob[winner] >= previous - PROB_ATOL, f"p(argmax) fell to {prob[winner]} as T shrank"
        previous = prob[winner]
    assert previous >= 1 - len(logits) * np.exp(-40) - PROB_ATOL, previous


@pytest.mark.claim("rnn.temperature-one-is-softmax")
@given(logits=logit_vectors)
def test_temperature_one_is_plain_softmax(logits, device):
    with tf.device(device.name):
        plain = tf.nn.softmax(tf.constant(logits))
    prob = temperature_softmax(logits, 1.0, device)
    assert_exact(prob, plain.numpy(), what="softmax(logits / 1.) vs softmax(logits)", device=device)
    assert_close(prob, ref.softmax_with_temperature(logits, 1.0), rtol=1e-5, atol=1e-9, what="softmax(logits)",
                 device=device)


# The sampling check: predict() as written, on a stand-in model whose logits are fixed (the model's
# own logits are checked in test_ch3_rnn.py), so N windows give N draws from one distribution p.
SAMPLES = 5000
LOGITS = np.array([2.0, 1.6, 1.2, 0.8, 0.5, 0.2, 0.0, -0.3, -0.6, -1.0, -1.5, -2.0], np.float32)
SAMPLE_TEMPERATURE = 0.7  # p from 0.42 down to 0.0014 (about 7 expected draws of the rarest)
FALSE_ALARM = 1e-4  # per check; two checks, so a correct install fails this test with probability ≤ 2e-4


class FixedLogits:
    """Quacks like the book's RNN for predict(): num_chars and a call returning logits per row."""

    num_chars = len(LOGITS)
    predict = M.RNN.predict  # the book's method, unchanged

    def __call__(self, inputs, from_logits=False):
        assert from_logits, "predict() asks for logits"
        return tf.tile(tf.constant(LOGITS)[None, :], [tf.shape(inputs)[0], 1])


@pytest.mark.claim("rnn.sampling-follows-distribution", "rnn.temperature-softmax")
def test_predict_samples_follow_the_distribution(device, measured):
    with tf.device(device.name):
        samples = FixedLogits().predict(np.zeros((SAMPLES, 4), np.int64), SAMPLE_TEMPERATURE)
    p = ref.softmax_with_temperature(LOGITS, SAMPLE_TEMPERATURE)
    counts = np.bincount(samples, minlength=len(LOGITS))
    measured("counts vs expected", [counts.tolist(), np.round(SAMPLES * p, 1).tolist()])
    assert samples.shape == (SAMPLES,)
    p_value = ref.chi_square_p_value(samples, p)
    measured("chi-square p-value", p_value, note=f"false-alarm rate {FALSE_ALARM} per check")
    assert p_value >= FALSE_ALARM, (
        f"counts {counts.tolist()} do not fit softmax(logits / {SAMPLE_TEMPERATURE}) = {np.round(p, 4).tolist()} "
        f"(chi-square p = {p_value:.3g} < {FALSE_ALARM})"
    )
    distance = ref.categorical_ks_statistic(samples, p)
    bound = dkw_bound(SAMPLES, FALSE_ALARM)
    assert distance <= bound, f"CDF distance {distance:.4f} exceeds the DKW bound {bound:.4f}"
