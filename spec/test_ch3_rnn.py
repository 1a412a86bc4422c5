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

from reference import lstm as ref
from spec import models_rnn_rl as M
from spec.assertions import assert_close, assert_exact, assert_on_device

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
def test_each_target_follows_its_window(data_loader):
    text = bytes(data_loader.text)  # indices < 57 fit a byte: windows can be searched as substrings
    seq, next_char = data_loader.get_batch(M.SEQ_LENGTH, 20)
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
    measured("names of model.variables", names)
    assert shapes == weights, f"model.variables are {list(zip(names, shapes))}, not the five weights {weights}"
    missing = [n for n, g in zip(names, grads) if g is None]
    assert not missing, f"no gradient for {missing}"


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
# costs ~0.3 s of CPU here, so the slow tier runs the first 400. Measured once in full (TF 2.21,
# under contention): first loss 4.044, mean of batches 951-1000 2.373, 465 s.
TRAIN_BATCHES = 400


@pytest.mark.slow
@pytest.mark.claim("rnn.training-lowers-loss")
def test_training_lowers_the_loss(data_loader, device, measured):
    with tf.device(device.name):
        model = M.RNN(num_chars=len(data_loader.chars), batch_size=M.BATCH_SIZE, seq_length=M.SEQ_LENGTH)
        optimizer = tf.keras.optimizers.Adam(learning_rate=M.LEARNING_RATE)
        step = M.rnn_train_step(model, optimizer)
        losses = []
        start = time.perf_counter()
        for _ in range(TRAIN_BATCHES):
            x, y = data_loader.get_batch(M.SEQ_LENGTH, M.BATCH_SIZE)
            losses.append(float(step(x, y)))
        seconds = time.perf_counter() - start
    first, last = losses[0], float(np.mean(losses[-50:]))
    measured("first batch loss", first, note=f"ln(num_chars) = {np.log(len(data_loader.chars)):.3f}")
    measured(f"mean loss of batches {TRAIN_BATCHES - 49}-{TRAIN_BATCHES}", last)
    measured("losses every 50 batches", [round(v, 4) for v in losses[::50]])
    measured(f"training seconds ({TRAIN_BATCHES} batches, tf.function, tracing included)", round(seconds, 1),
             note="2 shared cores, under contention")
    assert last < 0.75 * first, f"loss went from {first:.4f} to {last:.4f} (last 50 batches), not below 0.75× its start"
