"""TF1's ``tf.layers`` (tf_keras' legacy_tf_layers): Layer classes and functions building TF's graphs."""
