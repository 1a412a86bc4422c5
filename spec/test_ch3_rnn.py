"""三、TensorFlow模型建立与训练 / （四）循环神经网络: the DataLoader (the book's own get_file call,
served from a temporary Keras cache), the RNN model against the NumPy LSTM with its weights copied
in, the book's get_initial_state call, the loss, the generation loop, and (slow) the training loop."""
from __future__ import annotations

import os
import shutil
import time

import numpy as np
import pytest
import tensorflow as tf

from reference import dqn as dqn_ref
from reference import lstm as ref
from reference import sampling as sampling_ref
from spec import models_rnn_rl as M
from spec.assertions import assert_close, assert_exact, assert_on_device
from spec.seeded import over_seeds

CORPUS_CHARACTERS = 600_893  # ../shared/data/README.md: length of nietzsche.txt
CORPUS_ALPHABET = 57  # distinct characters after .lower(), same source


def keras_dir_attribute():
    """Keras 3 fixes its cache folder from KERAS_HOME when it is imported; (module, attribute) or None."""
    try:
        from keras.src.backend import config
    except ImportError:
        return None
    return (config, "_KERAS_DIR") if hasattr(config, "_KERAS_DIR") else None


@pytest.fixture(scope="module")
def corpus(local_data_file):
    return local_data_file("nietzsche.txt")


@pytest.fixture(scope="module")
def data_loader(corpus, tmp_path_factory):
    """The book's DataLoader(), its get_file served from a fresh Keras cache holding the local copy.

    Keras 2 (tf.keras 2.15, tf-keras) caches under ~/.keras; Keras 3 under $KERAS_HOME, read once
    at import, so its module-level copy is pointed at the same folder. The network guard makes sure
    nothing is downloaded instead.
    """
    home = tmp_path_factory.mktemp("home")
    keras_dir = home / ".keras"
    (keras_dir / "datasets").mkdir(parents=True)
    shutil.copyfile(corpus, keras_dir / "datasets" / "nietzsche.txt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("KERAS_HOME", str(keras_dir))
        attribute = keras_dir_attribute()
        if attribute is not None:
            mp.setattr(*attribute, str(keras_dir))
        loader = M.DataLoader()
    loader.expected_path = keras_dir / "datasets" / "nietzsche.txt"
    return loader


@pytest.fixture(scope="module")
def small_model():
    """An RNN over the book's alphabet size with a short window (the weights are what is compared)."""
    model = M.RNN(num_chars=CORPUS_ALPHABET, batch_size=3, seq_length=6)
    model(np.zeros((3, 6), np.int64))
    return model


def cell_weights(model):
    return [w.numpy() for w in (model.cell.kernel, model.cell.recurrent_kernel, model.cell.bias)]


def reference_logits(model, x):
    return ref.char_rnn_logits(x, model.num_chars, *cell_weights(model), model.dense.kernel.numpy(),
                               model.dense.bias.numpy())


# ------------------------------------------------------------------ data


@pytest.mark.claim("rnn.get-file-finds-cached-corpus")
def test_get_file_returns_the_cached_copy(data_loader, corpus, measured):
    measured("get_file path", os.path.relpath(data_loader.path, data_loader.expected_path.parent.parent.parent))
    assert os.path.realpath(data_loader.path) == os.path.realpath(data_loader.expected_path), (
        f"get_file returned {data_loader.path}, not the cached copy {data_loader.expected_path}"
    )
    assert data_loader.raw_text == corpus.read_text(encoding="utf-8").lower()


@pytest.mark.claim("rnn.corpus-lower-cased")
def test_corpus_is_lower_cased(data_loader, corpus, measured):
    original = corpus.read_text(encoding="utf-8")
    measured("characters", len(data_loader.raw_text), note="data README: 600,893")
    assert len(data_loader.raw_text) == len(original) == CORPUS_CHARACTERS
    assert any(c.isupper() for c in original), "the corpus has capitals to begin with"
    upper = sorted({c for c in data_loader.raw_text if c != c.lower()})
    assert not upper, f"characters left un-lowered: {upper}"
    changed = [i for i, (a, b) in enumerate(zip(original, data_loader.raw_text)) if a.lower() != b]
    assert not changed, f"raw_text differs from the lower-cased file at positions {changed[:5]}"


@pytest.mark.claim("rnn.sorted-character-set")
def test_character_set_is_sorted_and_distinct(data_loader, measured):
    chars = data_loader.chars
    measured("num_chars", len(chars), note="data README: 57 distinct after .lower()")
    assert len(chars) == CORPUS_ALPHABET, len(chars)
    assert all(a < b for a, b in zip(chars, chars[1:])), "chars is not strictly increasing"
    assert set(chars) == set(data_loader.raw_text)


@pytest.mark.claim("rnn.index-maps-bijective")
def test_index_maps_are_inverse_bijections(data_loader):
    n = len(data_loader.chars)
    assert sorted(data_loader.char_indices.values()) == list(range(n))
    assert sorted(data_loader.indices_char) == list(range(n))
    assert all(data_loader.indices_char[data_loader.char_indices[c]] == c for c in data_loader.chars)
    assert all(data_loader.char_indices[data_loader.indices_char[i]] == i for i in range(n))
    # text, recomputed independently: the position of each character in the sorted alphabet.
    alphabet = np.array([ord(c) for c in data_loader.chars])
    codes = np.frombuffer(data_loader.raw_text.encode("utf-32-le"), dtype=np.uint32)
    assert_exact(np.asarray(data_loader.text), np.searchsorted(alphabet, codes), what="encoded text")


@pytest.mark.claim("rnn.get-batch-shapes")
def test_get_batch_shapes(data_loader):
    seq, next_char = data_loader.get_batch(M.SEQ_LENGTH, M.BATCH_SIZE)
    assert seq.shape == (M.BATCH_SIZE, M.SEQ_LENGTH), seq.shape
    assert next_char.shape == (M.BATCH_SIZE,), next_char.shape
    assert seq.dtype.kind == "i" and next_char.dtype.kind == "i", (seq.dtype, next_char.dtype)


@pytest.mark.claim("rnn.get-batch-next-character")
def test_each_target_follows_its_window(data_loader, seed):
    text = bytes(data_loader.text)  # indices < 57 fit a byte: windows can be searched as substrings
    np.random.seed(seed % 2**32)
    seq, next_char = data_loader.get_batch(M.SEQ_LENGTH, 20)
    # At the very position drawn: the same seed replays get_batch's np.random.randint draws.
    np.random.seed(seed % 2**32)
    for row, target in zip(seq, next_char):
        start = np.random.randint(0, len(data_loader.text) - M.SEQ_LENGTH)
        assert row.tolist() == data_loader.text[start:start + M.SEQ_LENGTH], f"the window drawn at {start} is not text[{start}:]"
        assert int(target) == data_loader.text[start + M.SEQ_LENGTH], f"the target of the window at {start} is not the next character"
    for row, target in zip(seq, next_char):
        window = bytes(row.tolist())
        assert text.find(window + bytes([int(target)])) >= 0, (
            f"window {''.join(data_loader.indices_char[i] for i in row)!r} is not followed by "
            f"{data_loader.indices_char[int(target)]!r} anywhere in the text"
        )


# ------------------------------------------------------------------ model


@pytest.mark.claim("rnn.one-hot-depth")
def test_one_hot_depth(device):
    rng = np.random.default_rng(1)
    indices = rng.integers(0, CORPUS_ALPHABET, size=(4, M.SEQ_LENGTH))
    with tf.device(device.name):
        encoded = tf.one_hot(indices, depth=CORPUS_ALPHABET)
    assert_on_device(encoded, device)
    assert_exact(encoded, ref.one_hot(indices, CORPUS_ALPHABET).astype(np.float32), what="one-hot", device=device,
                 dtype=np.float32)


@pytest.mark.claim("rnn.lstm-cell-step")
def test_lstm_cell_step_matches_the_equations(device):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, CORPUS_ALPHABET)).astype(np.float32)
    h, c = (rng.standard_normal((3, M.UNITS)).astype(np.float32) for _ in range(2))
    with tf.device(device.name):
        cell = tf.keras.layers.LSTMCell(units=M.UNITS)
        output, state = cell(tf.constant(x), [tf.constant(h), tf.constant(c)])
    assert_on_device(output, device)
    kernel, recurrent, bias = (w.numpy() for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    assert kernel.shape == (CORPUS_ALPHABET, 4 * M.UNITS) and recurrent.shape == (M.UNITS, 4 * M.UNITS)
    want_out, (want_h, want_c) = ref.lstm_cell_step(x, h, c, kernel, recurrent, bias)
    # float32 sums of 57 + 256 products of unit-scale numbers: errors of a few 1e-6.
    assert_close(output, want_out, rtol=1e-5, atol=1e-5, what="output", device=device)
    assert_close(state[0], want_h, rtol=1e-5, atol=1e-5, what="h'", device=device)
    assert_close(state[1], want_c, rtol=1e-5, atol=1e-5, what="c'", device=device)


@pytest.mark.claim("rnn.initial-state-signature")
def test_initial_state_as_the_book_calls_it(device):
    with tf.device(device.name):
        cell = tf.keras.layers.LSTMCell(units=M.UNITS)
        try:
            state = M.handbook_initial_state(cell, 4)
        except TypeError as exc:
            pytest.fail(f"cell.get_initial_state(batch_size=4, dtype=tf.float32) raised TypeError: {exc}",
                        pytrace=False)
    assert len(state) == 2
    for part in state:
        assert_exact(part, np.zeros((4, M.UNITS), np.float32), what="initial state", dtype=np.float32)


@pytest.mark.claim("rnn.model-as-written")
def test_model_as_written_runs(device):
    with tf.device(device.name):
        model = M.RNN(num_chars=CORPUS_ALPHABET, batch_size=2, seq_length=3, as_written=True)
        try:
            probs = model(np.zeros((2, 3), np.int64))
        except TypeError as exc:
            pytest.fail(f"the book's RNN raised TypeError: {exc}", pytrace=False)
    assert probs.shape == (2, CORPUS_ALPHABET)


@pytest.mark.claim("rnn.unrolled-forward")
def test_unrolled_forward_matches_the_reference(small_model, device):
    x = np.random.default_rng(3).integers(0, CORPUS_ALPHABET, size=(3, 6))
    with tf.device(device.name):
        logits = small_model(x, from_logits=True)
    assert_on_device(logits, device)
    assert logits.shape == (3, CORPUS_ALPHABET)
    assert_close(logits, reference_logits(small_model, x), rtol=1e-4, atol=1e-5, what="logits", device=device)


@pytest.mark.claim("rnn.softmax-output")
def test_default_output_is_the_softmax(small_model, device):
    x = np.random.default_rng(4).integers(0, CORPUS_ALPHABET, size=(3, 6))
    with tf.device(device.name):
        probs = small_model(x)
        logits = small_model(x, from_logits=True)
    assert_on_device(probs, device)
    assert_close(tf.reduce_sum(probs, axis=1), np.ones(3), rtol=0, atol=1e-6, what="row sums", device=device)
    assert_close(probs, ref.softmax(logits.numpy()), rtol=1e-5, atol=1e-8, what="softmax(logits)", device=device)


@pytest.mark.claim("rnn.training-loss")
def test_training_loss_is_the_mean_cross_entropy(small_model, device):
    rng = np.random.default_rng(5)
    x, y = rng.integers(0, CORPUS_ALPHABET, size=(3, 6)), rng.integers(0, CORPUS_ALPHABET, size=3)
    with tf.device(device.name):
        loss = M.rnn_loss(small_model, x, y)
    want = ref.sparse_categorical_crossentropy(y, ref.softmax(reference_logits(small_model, x))).mean()
    assert_close(loss, want, rtol=1e-5, what="mean sparse cross-entropy", device=device)


def five_weights(model):
    """The model's five weights in the reference's order, as float64 arrays."""
    return [w.numpy().astype(np.float64) for w in (model.cell.kernel, model.cell.recurrent_kernel, model.cell.bias,
                                                   model.dense.kernel, model.dense.bias)]


FIVE_NAMES = ["cell kernel", "recurrent kernel", "cell bias", "dense kernel", "dense bias"]


@pytest.mark.claim("rnn.model-variables-are-weights")
def test_model_variables_are_the_five_weights(small_model, measured):
    x, y = np.zeros((3, 6), np.int64), np.zeros(3, np.int64)
    with tf.GradientTape() as tape:
        loss = M.rnn_loss(small_model, x, y)
    grads = tape.gradient(loss, small_model.variables)
    shapes = [tuple(v.shape) for v in small_model.variables]
    weights = [(CORPUS_ALPHABET, 4 * M.UNITS), (M.UNITS, 4 * M.UNITS), (4 * M.UNITS,), (M.UNITS, CORPUS_ALPHABET),
               (CORPUS_ALPHABET,)]
    names = [v.name for v in small_model.variables]
    # The five weights first, wherever they sit in the list: each gets a gradient of its own shape.
    five = [small_model.cell.kernel, small_model.cell.recurrent_kernel, small_model.cell.bias, small_model.dense.kernel,
            small_model.dense.bias]
    by_id = {id(v): g for v, g in zip(small_model.variables, grads)}
    for name, w in zip(FIVE_NAMES, five):
        assert id(w) in by_id, f"the {name} is not in model.variables {names}"
        assert by_id[id(w)] is not None and tuple(by_id[id(w)].shape) == tuple(w.shape), f"no gradient for the {name}"
    measured("names of model.variables", names)
    assert shapes == weights, f"model.variables are {list(zip(names, shapes))}, not the five weights {weights}"
    missing = [n for n, g in zip(names, grads) if g is None]
    assert not missing, f"no gradient for {missing}"


@pytest.mark.claim("rnn.train-step-matches-reference")
@pytest.mark.parametrize("mode", ["eager", "compiled"])
def test_train_step_matches_the_reference(mode, device):
    # A short window keeps the compiled step's tracing cheap; the loop body is the book's.
    make_step = M.rnn_train_step if mode == "compiled" else M.rnn_train_body
    rng = np.random.default_rng(6)
    x, y = rng.integers(0, CORPUS_ALPHABET, size=(3, 3)), rng.integers(0, CORPUS_ALPHABET, size=3)
    with tf.device(device.name):
        model = M.RNN(num_chars=CORPUS_ALPHABET, batch_size=3, seq_length=3)
        model(x)
        # SGD(1) as a probe: the step moves each weight by exactly minus the gradient it computed.
        before = five_weights(model)
        want_loss, want_grads = ref.char_rnn_loss_and_gradients(x, y, CORPUS_ALPHABET, *before)
        loss = make_step(model, tf.keras.optimizers.SGD(learning_rate=1.0))(x, y)
        assert_on_device(loss, device)
        assert_close(loss, want_loss, rtol=1e-5, what=f"{mode} step's loss", device=device)
        after = five_weights(model)
        for name, b, a, g in zip(FIVE_NAMES, before, after, want_grads):
            # float32: the gradient to ~1e-5 of its largest entry, the stored weight to an ulp.
            atol = 1e-5 * np.max(np.abs(g)) + 2 * np.finfo(np.float32).eps * np.abs(b)
            assert_close(a - b, -g, rtol=1e-4, atol=atol, what=f"{mode} SGD(1) step of the {name}", device=device)
        # The book's optimizer, two steps (the second uses the moments of the first).
        step = make_step(model, tf.keras.optimizers.Adam(learning_rate=M.LEARNING_RATE))
        moments = [(np.zeros_like(w), np.zeros_like(w)) for w in after]
        for t in (1, 2):
            before = five_weights(model)
            _, grads = ref.char_rnn_loss_and_gradients(x, y, CORPUS_ALPHABET, *before)
            step(x, y)
            after = five_weights(model)
            for k, (name, b, a, g) in enumerate(zip(FIVE_NAMES, before, after, grads)):
                want, m, v = dqn_ref.adam_step(b, g, *moments[k], t, M.LEARNING_RATE)
                moments[k] = (m, v)
                # Moves of ~1e-3 (lr·sign g); a gradient near ε = 1e-7 turns its float32 error into
                # a visible move error, hence the small absolute slack.
                assert_close(a - b, want - b, rtol=1e-3, atol=2e-6, what=f"{mode} Adam step {t} of the {name}",
                             device=device)


@pytest.mark.claim("rnn.predict-single-window")
def test_predict_on_one_window(data_loader, device):
    # A window of 8 rather than 40 keeps the eager call cheap; what is checked is the batch mismatch.
    with tf.device(device.name):
        model = M.RNN(num_chars=len(data_loader.chars), batch_size=M.BATCH_SIZE, seq_length=8)
        x, _ = data_loader.get_batch(8, 1)
        y_pred = model.predict(x, 1.0)
        logits = model(x, from_logits=True)
    assert y_pred.shape == (1,) and 0 <= y_pred[0] < len(data_loader.chars), y_pred
    # The zero state of batch 50 broadcasts against the one window: row 0 is that window's own logits.
    assert_close(logits[0], reference_logits(model, x)[0], rtol=1e-4, atol=1e-5, what="logits of the window",
                 device=device)


@pytest.mark.claim("rnn.generation-window")
def test_generation_loop_keeps_the_window(data_loader):
    # A short window, a compiled call and 30 characters instead of the book's 150 keep this cheap
    # (an eager prediction costs ~0.1 s here, a compiled one ~15 ms); the loop itself (predict's
    # sampling, the concatenation) runs as written, and nothing in it depends on those lengths.
    seq_length = 5
    model = M.RNN(num_chars=len(data_loader.chars), batch_size=1, seq_length=seq_length)
    model.call = tf.function(model.call)
    x, _ = data_loader.get_batch(seq_length, 1)
    windows = [x]
    pred_seq_len = 30
    text = M.generate(model, data_loader, x, pred_seq_len=pred_seq_len, diversity=1.0, windows=windows)
    assert len(text) == pred_seq_len
    assert set(text) <= set(data_loader.chars), f"characters outside the vocabulary: {set(text) - set(data_loader.chars)}"
    for k, (before, after) in enumerate(zip(windows, windows[1:])):
        assert after.shape == (1, seq_length), f"window {k + 1} has shape {after.shape}"
        assert np.array_equal(after[0, :-1], before[0, 1:]), f"window {k + 1} does not drop the first index"
        assert data_loader.indices_char[int(after[0, -1])] == text[k], f"window {k + 1} does not end with the output"


# ------------------------------------------------------------------ training (slow)


# The book trains 1000 batches; one step (40 unrolled LSTM steps, batch 50, forward and backward)
# costs ~0.3 s of CPU here, so the slow tier runs the first 400 (the book tier runs all 1000).
# Measured once in full (TF 2.21, under contention): first loss 4.044, mean of batches 951-1000 2.373.
TRAIN_BATCHES = 400
LOSS_SEEDS = 2
# A model that ignores its input can at best learn the character frequencies: its expected loss is
# the corpus's unigram entropy (3.0186 nats). The claim asks for a loss that much lower than that,
# which only a model using its context reaches; the real model's last-50 mean after 400 batches is
# about 2.75 (0.27 below), the loss drops below the unigram entropy after about 150 batches.
BELOW_UNIGRAM = 0.15


@pytest.mark.slow
@pytest.mark.claim("rnn.training-lowers-loss")
def test_training_lowers_the_loss(data_loader, device, measured, claim_seeds):
    unigram = sampling_ref.unigram_entropy(data_loader.text, len(data_loader.chars))
    bar = unigram - BELOW_UNIGRAM
    last, curves = {}, {}
    start = time.perf_counter()
    for seed in claim_seeds(LOSS_SEEDS):
        _, losses = M.train_rnn(data_loader, device.name, seed, TRAIN_BATCHES)
        last[seed] = float(np.mean(losses[-50:]))
        curves[seed] = [round(float(np.mean(losses[k:k + 10])), 4) for k in range(0, len(losses), 10)]
    seconds = time.perf_counter() - start
    rule = f"mean over {LOSS_SEEDS} seeds of the last-50-batch mean loss < unigram entropy − {BELOW_UNIGRAM} = {bar:.4f}"
    summary = over_seeds(last, rule)
    measured("unigram entropy of the corpus (nats)", unigram, note="the best a model ignoring its input can do")
    measured(f"mean loss of batches {TRAIN_BATCHES - 49}-{TRAIN_BATCHES} over seeds", summary, handbook=None,
             note=f"{seconds:.0f} s for {LOSS_SEEDS} runs of {TRAIN_BATCHES} batches (tf.function, tracing included)")
    for seed, curve in curves.items():
        measured(f"loss every 10 batches, seed {seed}", curve, note="mean of each 10 batches; x: batch / 10")
    assert summary["mean"] < bar, (
        f"after {TRAIN_BATCHES} batches the loss is {summary['mean']:.4f} (per seed {summary['per_seed']}), not below "
        f"the corpus's unigram entropy {unigram:.4f} by {BELOW_UNIGRAM}: no better than ignoring the input"
    )
