"""Book tier: 四's two training examples at the book's own settings (the argparse defaults:
num_epochs 5, batch_size 50, learning_rate 0.001, so 6,000 batches): （一）'s train() with its
CheckpointManager, then test() in a fresh process, as `--mode test` runs it; and （二）3's train()
with the loss logged every batch, checkpoints and the trace. One seed each: these claims are about
what the example does, not about a number that varies with the draw.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from fixtures.seeds_plugin import seeds_for
from spec.assertions import assert_exact
from spec.models_keras import MLP
from spec.test_ch4_examples import (BATCH_SIZE, LEARNING_RATE, check_saves, data_loader,  # noqa: F401  (fixture)
                                    read_tensor_records, run_train_example, run_test_in_a_fresh_process,
                                    train_with_tensorboard)

BOOK_EPOCHS = 5  # parser.add_argument('--num_epochs', default=5)


@pytest.mark.book
@pytest.mark.claim("book.checkpoint-example")
def test_checkpoint_example_at_its_default_epochs(data_loader, local_data_file, tmp_path, measured, book_budget,
                                                  request):
    (seed,) = seeds_for("book.checkpoint-example", 1, request.config.getoption("--seed"))
    tf.keras.utils.set_random_seed(seed)
    epochs = BOOK_EPOCHS * book_budget.scale
    model, num_batches, printed = run_train_example(data_loader, tmp_path / "saved", epochs)
    numbers = check_saves(tmp_path / "saved", num_batches, printed)
    measured("saves kept", sorted(numbers)[-3:], note=f"{num_batches - 1} batches (the loop starts at 1)")
    trained = np.argmax(model.predict(data_loader.test_data, verbose=0), axis=-1)
    trained_accuracy = float(np.mean(trained == data_loader.test_label))
    accuracy, probabilities = run_test_in_a_fresh_process(local_data_file("mnist.npz"), tmp_path / "saved", tmp_path)
    predictions = np.argmax(probabilities, axis=-1)
    measured("test accuracy of the trained model", trained_accuracy)
    measured("test accuracy printed by test() in a fresh process", accuracy, handbook=trained_accuracy)
    book_budget.judge()
    assert_exact(predictions, trained, what="test-set predictions of test() in a fresh process")


@pytest.mark.book
@pytest.mark.claim("book.tensorboard-example")
def test_tensorboard_example_at_its_default_epochs(data_loader, tmp_path, measured, book_budget, request):
    (seed,) = seeds_for("book.tensorboard-example", 1, request.config.getoption("--seed"))
    tf.keras.utils.set_random_seed(seed)
    epochs = BOOK_EPOCHS * book_budget.scale
    log_dir, save_dir = tmp_path / "tensorboard", tmp_path / "saved"
    try:
        losses = train_with_tensorboard(MLP(), tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE), data_loader,
                                        epochs, BATCH_SIZE, log_dir, save_dir, trace=True)
    finally:
        tf.summary.trace_off()
    records = read_tensor_records(log_dir)
    measured("loss every 100 batches", [round(float(np.mean(losses[k:k + 100])), 5) for k in range(0, len(losses), 100)],
             note="x: batch / 100")
    book_budget.judge()
    assert [s for s, _ in records["loss"]] == list(range(len(losses))), "a loss scalar per batch"
    assert "model_trace" in records, sorted(records)
