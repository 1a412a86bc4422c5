"""Fix tests: for each claim known to deviate (ci/expectations/), today's way to write what the book
writes, run as a test that checks it gives the book's observable back.

A fix test is marked @pytest.mark.fix("<claim id>") (no claim marker). The lines a reader should
copy are delimited by a line `# errata: begin` and a line `# errata: end` inside the test; the
checks against the book's value or a NumPy reference come after that block. Where a spelling only
works in some environments (Keras 3 against Keras 2, TF >= 2.16 against older releases), its test
skips elsewhere with the reason, and the catalogue's [deviation.fix] text says which spelling
serves which environment.
"""
