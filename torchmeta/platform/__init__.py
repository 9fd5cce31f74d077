"""The program shell TF1 programs start from: ``tf.app``, ``tf.flags`` (absl-compatible) and ``tf.logging``.

These modules depend on nothing else in torchmeta (the Python standard library only), so every layer
may use them; absl-py is not needed.
"""
