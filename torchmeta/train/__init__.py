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
