"""``tf.graph_util``: importing GraphDefs."""

from torchmeta.api.meta_graph_api import import_graph_def  # noqa: F401
