"""NumPy-only reference implementations of what the handbook computes. Never import TensorFlow here."""
