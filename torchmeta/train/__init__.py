"""``tf.train``: Saver, checkpoint management and reading, meta graphs, optimizers, global-step helpers."""

from torchmeta.api.meta_graph_api import QueueRunner, add_queue_runner, write_graph
from torchmeta.train.checkpoint_management import (
    CheckpointState,
    checkpoint_exists,
    generate_checkpoint_state_proto,
    get_checkpoint_mtimes,
    get_checkpoint_state,
    latest_checkpoint,
    remove_checkpoint,
    update_checkpoint_state,
)
from torchmeta.train.checkpoint_utils import NewCheckpointReader, list_variables, load_checkpoint, load_variable
from torchmeta.train.optimizer import Optimizer
from torchmeta.train.optimizers import (
    AdadeltaOptimizer,
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    RMSPropOptimizer,
)
from torchmeta.train.saver import Saver, SaverDef, export_meta_graph, import_meta_graph
from torchmeta.train.training_util import (
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    global_step,
)

__all__ = [
    "Saver",
    "SaverDef",
    "export_meta_graph",
    "import_meta_graph",
    "write_graph",
    "QueueRunner",
    "add_queue_runner",
    "CheckpointState",
    "checkpoint_exists",
    "generate_checkpoint_state_proto",
    "get_checkpoint_mtimes",
    "get_checkpoint_state",
    "latest_checkpoint",
    "remove_checkpoint",
    "update_checkpoint_state",
    "NewCheckpointReader",
    "load_checkpoint",
    "list_variables",
    "load_variable",
    "assert_global_step",
    "create_global_step",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "Optimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "AdamOptimizer",
    "AdagradOptimizer",
    "RMSPropOptimizer",
    "AdadeltaOptimizer",
]
