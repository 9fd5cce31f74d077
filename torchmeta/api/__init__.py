"""TensorFlow's Python API (``tf.*``, ``tf.nn.*``, ...) built from the registered ops."""
