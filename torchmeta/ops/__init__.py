"""Op families: importing this package registers every op torchmeta knows."""

from torchmeta.ops import (  # noqa: F401 - registration side effects
    array_index_ops,
    array_layout_ops,
    array_ops,
    control_flow_ops,
    conv_ops,
    image_box_ops,
    image_color_ops,
    image_resize_ops,
    image_transform_ops,
    io_ops,
    logging_ops,
    math_ops,
    nn_ops,
    random_ops,
    reduction_ops,
    script_ops,
    state_ops,
    summary_ops,
    training_ops,
    training_proximal_ops,
)
