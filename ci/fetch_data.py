"""Fetch the handbook's two data sets into a folder, for machines with internet (the GitHub workflow).

    python -m ci.fetch_data DIR

Downloads mnist.npz from the origin tf.keras.datasets.mnist uses and nietzsche.txt from the origin
the handbook's get_file call names, then prints each file's sha256 and whether the suite's data
plugin knows it. The suite itself never downloads: it reads DIR through --data-dir. Exit status 1
when a download fails or a checksum is unknown (the claims about that file would be meaningless).
"""
from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from fixtures.known_data import ALSO_ACCEPTED, KNOWN_FILES, sha256_of

ORIGINS = {
    "mnist.npz": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    "nietzsche.txt": "https://s3.amazonaws.com/text-datasets/nietzsche.txt",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__)
        return 2
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    status = 0
    for name, url in ORIGINS.items():
        path = folder / name
        accepted = (KNOWN_FILES[name], *ALSO_ACCEPTED.get(name, ()))
        if not (path.is_file() and sha256_of(path) in accepted):
            try:
                urllib.request.urlretrieve(url, path)
            except OSError as exc:
                print(f"{name}: download from {url} failed: {exc}")
                status = 1
                continue
        digest = sha256_of(path)
        known = digest in accepted
        print(f"{name}: sha256 {digest} {'(known)' if known else '(UNKNOWN: the suite will refuse it)'}")
        status |= 0 if known else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
