"""``tf.train``: Saver, checkpoint management, optimizers and global-step helpers."""

from torchmeta.train.checkpoint_management import (  # noqa: F401
    CheckpointState,
    checkpoint_exists,
    generate_checkpoint_state_proto,
    get_checkpoint_mtimes,
    get_checkpoint_state,
    latest_checkpoint,
    remove_checkpoint,
    update_checkpoint_state,
)
from torchmeta.train.saver import Saver, SaverDef, export_meta_graph, import_meta_graph  # noqa: F401
from torchmeta.train.training_util import (  # noqa: F401
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    global_step,
)
