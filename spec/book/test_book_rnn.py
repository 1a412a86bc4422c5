"""Book tier: 三（四） at the book's own settings: the char-RNN trained for num_batches = 1000 (batch
50, seq_length 40, Adam 1e-3), then the generation loop for pred_seq_len = 150 characters at the
book's diversity (temperature) 1.0, and the temperature property on the trained model. Several
seeds (--book-seeds; default 2); every seed's loss curve and values are recorded.

The training step is a tf.function; spec/test_ch3_rnn.py shows (one Adam step, eager and compiled)
that it computes the book's eager body against the NumPy reference.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from fixtures.seeds_plugin import seeds_for
from reference import sampling as sampling_ref
from spec import models_rnn_rl as M
from spec.seeded import over_seeds
from spec.test_ch3_rnn import corpus, data_loader  # noqa: F401  (the book's DataLoader, served offline)

SEEDS = 2
TEMPERATURES = (0.2, 0.5, 1.0, 1.2)
CURVE_EVERY = 10


def trained(data_loader, device, seed: int, batches: int, shared_runs):
    """(model, losses) of the book's loop from `seed`, trained once per pytest run: the weights and
    losses are shared by the run's xdist workers (fixtures.shared_runs_plugin), the model rebuilt."""
    def train():
        model, losses = M.train_rnn(data_loader, device.name, seed, batches)
        return model.get_weights(), losses

    weights, losses = shared_runs.get(f"book-rnn-{device.id}-{seed}-{batches}", train)
    with tf.device(device.name):
        model = M.RNN(num_chars=len(data_loader.chars), batch_size=M.BATCH_SIZE, seq_length=M.SEQ_LENGTH)
        model(tf.zeros((M.BATCH_SIZE, M.SEQ_LENGTH), tf.int32))  # the training shape
        model.set_weights(weights)
    return model, losses


def seeds(request, book_budget) -> list[int]:
    return seeds_for("book.rnn-loss", book_budget.seeds(SEEDS), request.config.getoption("--seed"))


@pytest.mark.book
@pytest.mark.claim("book.rnn-loss")
def test_training_at_the_books_budget_uses_more_than_one_character_of_context(data_loader, device, measured,
                                                                              book_budget, request, shared_runs):
    batches = book_budget.of(M.NUM_BATCHES)
    order1 = sampling_ref.conditional_entropy(data_loader.text, len(data_loader.chars), 1)
    last = {}
    for seed in seeds(request, book_budget):
        _, losses = trained(data_loader, device, seed, batches, shared_runs)
        last[seed] = float(np.mean(losses[-50:]))
        measured(f"loss every {CURVE_EVERY} batches, seed {seed}",
                 [round(float(np.mean(losses[k:k + CURVE_EVERY])), 4) for k in range(0, len(losses), CURVE_EVERY)],
                 note=f"mean of each {CURVE_EVERY} batches; x: batch / {CURVE_EVERY}")
    rule = f"mean over seeds of the last-50-batch loss < H(next | previous character) = {order1:.4f}"
    summary = over_seeds(last, rule)
    measured("entropy of the next character given the previous one (nats)", order1,
             note="the best a model using one character of context can do; unigram "
                  f"{sampling_ref.unigram_entropy(data_loader.text, len(data_loader.chars)):.4f}")
    measured(f"mean loss of the last 50 of {batches} batches over seeds", summary)
    book_budget.judge()
    assert summary["mean"] < order1, (
        f"after the book's {batches} batches the loss is {summary['mean']:.4f} ({summary['per_seed']}), not below "
        f"{order1:.4f}: no better than a model that looks at one character"
    )


def sample_with_surprisal(model, data_loader, x, temperature: float, length: int):
    """The book's generation loop (predict at `temperature`, window kept at seq_length), also
    scoring each drawn character by −log p under the model's temperature-1 distribution."""
    text, surprisal = [], []
    for _ in range(length):
        logits = model(x, from_logits=True)
        y_pred = model.predict(x, temperature)
        p = tf.nn.softmax(logits).numpy()[0]
        surprisal.append(float(-np.log(p[y_pred[0]])))
        text.append(data_loader.indices_char[y_pred[0]])
        x = np.concatenate([x[:, 1:], np.expand_dims(y_pred, axis=1)], axis=-1)
    return "".join(text), surprisal


@pytest.mark.book
@pytest.mark.claim("book.rnn-generation")
def test_generation_at_the_books_settings(data_loader, device, measured, book_budget, request,
                                          shared_runs):
    batches = book_budget.of(M.NUM_BATCHES)
    for seed in seeds(request, book_budget):
        model, _ = trained(data_loader, device, seed, batches, shared_runs)
        np.random.seed(seed % 2**32)
        x, _ = data_loader.get_batch(M.SEQ_LENGTH, 1)
        with tf.device(device.name):
            text = M.generate(model, data_loader, x, pred_seq_len=M.PRED_SEQ_LEN, diversity=1.0)
        measured(f"generated text, seed {seed}", text, note=f"diversity 1.0, after {batches} batches")
        assert len(text) == M.PRED_SEQ_LEN and set(text) <= set(data_loader.chars), repr(text)
    book_budget.judge()


@pytest.mark.book
@pytest.mark.claim("book.rnn-temperature")
def test_temperature_shapes_the_trained_models_text(data_loader, device, measured, book_budget, request,
                                                    shared_runs):
    batches = book_budget.of(M.NUM_BATCHES)
    length = book_budget.of(M.PRED_SEQ_LEN)
    per_seed = {}
    for seed in seeds(request, book_budget):
        model, _ = trained(data_loader, device, seed, batches, shared_runs)
        model.call = tf.function(model.call)  # the same forward pass, compiled for 2·4·150 calls
        np.random.seed(seed % 2**32)
        starts = [data_loader.get_batch(M.SEQ_LENGTH, 1)[0] for _ in range(4)]
        means = {}
        with tf.device(device.name):
            for temperature in TEMPERATURES:
                scores = []
                for x in starts:
                    _, surprisal = sample_with_surprisal(model, data_loader, x, temperature, length)
                    scores += surprisal
                means[temperature] = float(np.mean(scores))
        per_seed[seed] = means
        measured(f"mean surprisal (nats) of the sampled characters by temperature, seed {seed}",
                 {str(t): m for t, m in means.items()}, note=f"4 windows × {length} characters each, scored under T = 1")
    book_budget.judge()
    for seed, means in per_seed.items():
        ordered = [means[t] for t in TEMPERATURES]
        assert all(a < b for a, b in zip(ordered, ordered[1:])), (
            f"seed {seed}: the sampled text's surprisal does not grow with the temperature {dict(means)}"
        )
