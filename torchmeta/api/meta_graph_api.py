"""``tf.train.export_meta_graph``, ``tf.import_graph_def``, ``tf.io.write_graph``, ...

Namespaces (TF1): ``tf.import_graph_def`` = ``tf.graph_util.import_graph_def``;
``tf.train.export_meta_graph``, ``tf.train.write_graph`` =
``tf.io.write_graph``, ``tf.train.QueueRunner`` = ``tf.train.queue_runner.QueueRunner``,
``tf.train.add_queue_runner``; ``export_scoped_meta_graph``, ``import_scoped_meta_graph``,
``copy_scoped_meta_graph`` and ``read_meta_graph_file`` are TensorFlow's ``meta_graph`` module
functions (not in ``tf.*``). ``tf.train.import_meta_graph`` also builds a Saver, so it is in
``torchmeta.train.saver``, as in TensorFlow.
"""

from __future__ import annotations

from torchmeta.framework.collection_objects import QueueRunner, add_queue_runner
from torchmeta.framework.importer import import_graph_def
from torchmeta.framework.meta_graph import (
    copy_scoped_meta_graph,
    export_meta_graph,
    export_scoped_meta_graph,
    import_scoped_meta_graph,
    read_meta_graph_file,
)
from torchmeta.io.meta_graph import write_graph

__all__ = [
    "import_graph_def",
    "export_meta_graph",
    "export_scoped_meta_graph",
    "import_scoped_meta_graph",
    "copy_scoped_meta_graph",
    "read_meta_graph_file",
    "write_graph",
    "QueueRunner",
    "add_queue_runner",
]
