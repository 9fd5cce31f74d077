"""tf.GraphOptions / tf.OptimizerOptions (config.proto) as TF1 programs set them, against TensorFlow's."""

from __future__ import annotations

import pytest

import torchmeta as tm
from tests.train.helpers import outcome

pytest.importorskip("tensorflow")


def _observe(tf):
    options = tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L0, do_constant_folding=True)
    graph_options = tf.GraphOptions(optimizer_options=options, infer_shapes=True)
    config = tf.ConfigProto(graph_options=graph_options)
    config.graph_options.optimizer_options.global_jit_level = tf.OptimizerOptions.ON_1
    default = tf.ConfigProto().graph_options
    return {
        "constants": [getattr(tf.OptimizerOptions, k) for k in ("L1", "L0", "DEFAULT", "OFF", "ON_1", "ON_2")],
        "enums": [
            tf.OptimizerOptions.Level.Name(-1),
            tf.OptimizerOptions.GlobalJitLevel.Value("ON_2"),
            tf.OptimizerOptions.GlobalJitLevel.keys(),
            outcome(tf.OptimizerOptions.Level.Value, "L9"),
        ],
        "set": [
            config.graph_options.optimizer_options.global_jit_level,
            config.graph_options.optimizer_options.opt_level,
            config.graph_options.optimizer_options.do_constant_folding,
            config.graph_options.infer_shapes,
        ],
        "defaults": [
            default.infer_shapes,
            default.place_pruned_graph,
            default.build_cost_model,
            default.optimizer_options.global_jit_level,
            default.optimizer_options.do_function_inlining,
            default.optimizer_options.max_folded_constant_in_bytes,
        ],
        "equal": [
            tf.OptimizerOptions(opt_level=-1) == tf.OptimizerOptions(opt_level=-1),
            tf.GraphOptions() == tf.GraphOptions(timeline_step=1),
        ],
        "unknown": outcome(tf.GraphOptions, no_such_field=1),
    }


def test_options_like_tensorflow(tf1):
    assert _observe(tm) == _observe(tf1)


def test_a_session_takes_a_config_with_graph_options():
    config = tm.ConfigProto(graph_options=tm.GraphOptions(optimizer_options=tm.OptimizerOptions(opt_level=-1)))
    with tm.Graph().as_default():
        x = tm.constant(2.0) * 3.0
        with tm.Session(config=config) as sess:
            assert sess.run(x) == 6.0
