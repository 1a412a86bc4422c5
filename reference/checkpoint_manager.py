"""A model of how tf.train.Checkpoint.save and tf.train.CheckpointManager number, keep and delete
checkpoint files in one directory (四、TensorFlow常用模块 / （一）变量的保存与恢复). Pure Python: no
TensorFlow, no NumPy.

What is modelled (read from the behaviour TensorFlow documents for CheckpointManager):
- A `Checkpoint` carries a save counter that starts at 0 and goes up by one on every save, whether
  or not a number is given; a save without a number is numbered with the counter's new value.
- A save writes the files `NAME-N.index` and `NAME-N.data-00000-of-00001` and the state file
  `checkpoint`, whose `model_checkpoint_path` is the newest save and whose
  `all_model_checkpoint_paths` lists the managed saves, oldest first.
- `Checkpoint.save` (no manager) deletes nothing and lists only its newest save in the state file.
- A manager keeps at most `max_to_keep` saves (all of them when it is None): after each save the
  oldest managed saves' files are deleted. Saving under a name already managed moves it to the
  newest end instead of listing it twice.
- A new manager on the same directory takes over the list and the latest save from the state file.
- `tf.train.latest_checkpoint(dir)` is the state file's newest save, if its files exist: the save
  made last, which is the one with the largest number only when numbers grow.

Not modelled: keep_checkpoint_every_n_hours and checkpoint_interval (the handbook uses neither).
Names are relative to the directory (`model.ckpt-3`); a test joins them to its directory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

STATE_FILE = "checkpoint"
INDEX_SUFFIX = ".index"
DATA_SUFFIX = ".data-00000-of-00001"  # one shard: what a single-process save writes


def checkpoint_files(name: str) -> set[str]:
    """The two files one save writes."""
    return {name + INDEX_SUFFIX, name + DATA_SUFFIX}


@dataclass
class Directory:
    """A checkpoint directory: the saves whose files exist and the state file's two fields."""

    saves: set[str] = field(default_factory=set)
    latest: str | None = None  # model_checkpoint_path; None while there is no state file
    listed: list[str] = field(default_factory=list)  # all_model_checkpoint_paths, oldest first

    def files(self) -> set[str]:
        names = {STATE_FILE} if self.latest is not None else set()
        for save in self.saves:
            names |= checkpoint_files(save)
        return names

    def state_file_lines(self) -> list[str]:
        """The path lines of the state file (its timestamp lines are not modelled)."""
        if self.latest is None:
            return []
        return [f'model_checkpoint_path: "{self.latest}"'] + [f'all_model_checkpoint_paths: "{p}"' for p in self.listed]

    def latest_checkpoint(self) -> str | None:
        """tf.train.latest_checkpoint: the state file's newest save if its files exist."""
        return self.latest if self.latest in self.saves else None


@dataclass
class Checkpoint:
    """A tf.train.Checkpoint as far as numbering goes: its save counter."""

    save_counter: int = 0

    def save(self, directory: Directory, name: str) -> str:
        """Checkpoint.save(file_prefix=DIR/name): numbered from 1, nothing deleted."""
        self.save_counter += 1
        path = f"{name}-{self.save_counter}"
        directory.saves.add(path)
        directory.latest, directory.listed = path, [path]
        return path


class CheckpointManager:
    def __init__(self, checkpoint: Checkpoint, directory: Directory, max_to_keep: int | None,
                 checkpoint_name: str = "ckpt"):
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(f"max_to_keep must be a positive integer or None, got {max_to_keep}")
        self.checkpoint, self.directory = checkpoint, directory
        self.max_to_keep, self.checkpoint_name = max_to_keep, checkpoint_name
        # Taken over from the state file a previous manager (or Checkpoint.save) left.
        self._managed: list[str] = list(directory.listed)
        self._latest: str | None = directory.latest

    @property
    def checkpoints(self) -> list[str]:
        return list(self._managed)

    @property
    def latest_checkpoint(self) -> str | None:
        return self._latest

    def save(self, checkpoint_number: int | None = None) -> str:
        self.checkpoint.save_counter += 1  # counted even when a number is given
        number = self.checkpoint.save_counter if checkpoint_number is None else checkpoint_number
        path = f"{self.checkpoint_name}-{number}"
        self.directory.saves.add(path)
        if path in self._managed:
            self._managed.remove(path)
        self._managed.append(path)
        self._latest = path
        if self.max_to_keep is not None:
            while len(self._managed) > self.max_to_keep:
                self.directory.saves.discard(self._managed.pop(0))
        self.directory.latest, self.directory.listed = self._latest, list(self._managed)
        return path


def saves_of_training_loop(batch_indices, every: int, last: int) -> list[int]:
    """The checkpoint numbers the handbook's loops save: every `every` batches and at the last."""
    return [i for i in batch_indices if i % every == 0 or i == last]
