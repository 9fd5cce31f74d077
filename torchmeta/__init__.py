"""torchmeta: TensorFlow 1.x graph mode on PyTorch, speaking TensorFlow's file formats.

Use it as ``import torchmeta as tf`` in TF1 code. The public surface mirrors ``tf.compat.v1``:
each ``torchmeta/api/*`` module lists its functions in ``__all__`` and they are re-exported here.

``tf.VERSION`` and ``tf.GRAPH_DEF_VERSION*`` are those of the TensorFlow release whose formats torchmeta
reads and writes (TF 2.21: what its MetaGraphDefs and GraphDefs record, so code checking them sees that
release); ``tf.GIT_VERSION`` names the torchmeta release (MetaGraphDefs' ``tensorflow_git_version``), and
``torchmeta.__version__`` is torchmeta's own version.
"""

# The op families register every op; the layers import one another bottom-up (ARCHITECTURE.md).
from torchmeta import (  # noqa: F401
    audio,
    bitwise,
    compat,
    data,
    debugging,
    distributions,
    dtypes,
    errors,
    gfile,
    graph_util,
    image,
    initializers,
    io,
    keras,
    layers,
    linalg,
    lookup,
    losses,
    math,
    metrics,
    nest,
    nn,
    ops,
    python_io,
    quantization,
    queue,
    ragged,
    random,
    raw_ops,
    saved_model,
    sets,
    signal,
    sparse,
    strings,
    summary,
    test,
    train,
)

# TF1's top-level protocol buffer classes (tf.Summary(value=[...]) for hand-made summaries, tf.GraphDef, ...).
from torchmeta._proto.attr_value_pb2 import AttrValue, NameAttrList  # noqa: F401
from torchmeta._proto.event_pb2 import Event, LogMessage, SessionLog  # noqa: F401
from torchmeta._proto.graph_pb2 import GraphDef  # noqa: F401
from torchmeta._proto.meta_graph_pb2 import MetaGraphDef, TensorInfo  # noqa: F401
from torchmeta._proto.node_def_pb2 import NodeDef  # noqa: F401
from torchmeta._proto.run_options_pb2 import RunMetadata, RunOptions  # noqa: F401
from torchmeta._proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata  # noqa: F401
from torchmeta.api.array_ops import *  # noqa: F403
from torchmeta.api.batch_gather_ops import batch_gather  # noqa: F401
from torchmeta.api.bincount_ops import bincount_v1 as bincount  # noqa: F401
from torchmeta.api.check_ops import *  # noqa: F403
from torchmeta.api.cond import cond  # noqa: F401
from torchmeta.api.cond_v2 import switch_case  # noqa: F401
from torchmeta.api.confusion_matrix import confusion_matrix  # noqa: F401
from torchmeta.api.control_flow_assert import Assert  # noqa: F401
from torchmeta.api.control_flow_case import case  # noqa: F401
from torchmeta.api.control_flow_ops import *  # noqa: F403
from torchmeta.api.custom_gradient import custom_gradient, grad_pass_through  # noqa: F401
from torchmeta.api.data_flow_ops import (  # noqa: F401
    FIFOQueue,
    PaddingFIFOQueue,
    PriorityQueue,
    QueueBase,
    RandomShuffleQueue,
)
from torchmeta.api.edit_distance_ops import edit_distance  # noqa: F401
from torchmeta.api.fake_quant_ops import *  # noqa: F403
from torchmeta.api.functional_ops import foldl, foldr, map_fn, scan  # noqa: F401
from torchmeta.api.gradients import (  # noqa: F401
    AggregationMethod,
    NotDifferentiable,
    RegisterGradient,
    UnconnectedGradients,
    gradients,
    no_gradient,
)
from torchmeta.api.gradients_impl import hessians  # noqa: F401
from torchmeta.api.init_ops import (  # noqa: F401
    constant_initializer,
    glorot_normal_initializer,
    glorot_uniform_initializer,
    ones_initializer,
    orthogonal_initializer,
    random_normal_initializer,
    random_uniform_initializer,
    truncated_normal_initializer,
    uniform_unit_scaling_initializer,
    variance_scaling_initializer,
    zeros_initializer,
)
from torchmeta.api.io_ops import (  # noqa: F401
    FixedLengthRecordReader,
    ReaderBase,
    TextLineReader,
    TFRecordReader,
    WholeFileReader,
    matching_files,
    read_file,
    write_file,
)
from torchmeta.api.linalg_impl import cross  # noqa: F401
from torchmeta.api.linalg_ops import (  # noqa: F401
    cholesky,
    cholesky_solve,
    diag,
    diag_part,
    eye,
    matrix_band_part,
    matrix_determinant,
    matrix_diag,
    matrix_diag_part,
    matrix_inverse,
    matrix_set_diag,
    matrix_solve,
    matrix_solve_ls,
    matrix_transpose,
    matrix_triangular_solve,
    norm,
    qr,
    self_adjoint_eig,
    self_adjoint_eigvals,
    svd,
    trace,
)
from torchmeta.api.logging_ops import Print, print_v2  # noqa: F401
from torchmeta.api.lookup_ops import tables_initializer  # noqa: F401
from torchmeta.api.lookup_ops import tables_initializer as initialize_all_tables  # noqa: F401
from torchmeta.api.math_composite_ops import *  # noqa: F403
from torchmeta.api.math_ops import *  # noqa: F403
from torchmeta.api.meta_graph_api import import_graph_def  # noqa: F401
from torchmeta.api.parsing_ops import *  # noqa: F403
from torchmeta.api.partitioned_variables import *  # noqa: F403
from torchmeta.api.ragged_ops import gather  # noqa: F401 - tf.gather with TF's ragged dispatch
from torchmeta.api.ragged_tensor import RaggedTensor  # noqa: F401
from torchmeta.api.random_crop_ops import random_crop  # noqa: F401
from torchmeta.api.random_ops import *  # noqa: F403
from torchmeta.api.script_ops import numpy_function, py_func  # noqa: F401
from torchmeta.api.sort_ops import argsort, sort  # noqa: F401
from torchmeta.api.sparse_ops import (  # noqa: F401
    sparse_add,
    sparse_concat,
    sparse_fill_empty_rows,
    sparse_mask,
    sparse_maximum,
    sparse_merge,
    sparse_minimum,
    sparse_placeholder,
    sparse_reduce_max,
    sparse_reduce_max_sparse,
    sparse_reduce_sum,
    sparse_reduce_sum_sparse,
    sparse_reorder,
    sparse_reset_shape,
    sparse_reshape,
    sparse_retain,
    sparse_segment_mean,
    sparse_segment_sqrt_n,
    sparse_segment_sum,
    sparse_slice,
    sparse_softmax,
    sparse_split,
    sparse_tensor_dense_matmul,
    sparse_tensor_to_dense,
    sparse_to_indicator,
    sparse_transpose,
)
from torchmeta.api.special_math_ops import betainc, einsum, igamma, igammac, polygamma, zeta  # noqa: F401
from torchmeta.api.spectral_ops import fft, fft2d, fft3d, ifft, ifft2d, ifft3d  # noqa: F401
from torchmeta.api.state_ops import *  # noqa: F403
from torchmeta.api.string_ops import (  # noqa: F401
    as_string,
    decode_base64,
    encode_base64,
    reduce_join,
    regex_replace,
    string_join,
    substr,
)
from torchmeta.api.string_ops import strip as string_strip  # noqa: F401
from torchmeta.api.string_ops import to_hash_bucket as string_to_hash_bucket  # noqa: F401
from torchmeta.api.string_ops import to_hash_bucket_fast as string_to_hash_bucket_fast  # noqa: F401
from torchmeta.api.string_ops import to_hash_bucket_strong as string_to_hash_bucket_strong  # noqa: F401
from torchmeta.api.structured_function import RaggedTensorSpec, TensorSpec  # noqa: F401
from torchmeta.api.summary_ops import histogram_summary, merge_all_summaries, merge_summary, scalar_summary  # noqa: F401
from torchmeta.api.template import make_template  # noqa: F401
from torchmeta.api.tensor_array_ops import TensorArray  # noqa: F401
from torchmeta.api.variable_scope import *  # noqa: F403
from torchmeta.api.while_loop import while_loop  # noqa: F401
from torchmeta.compat.v1 import disable_eager_execution, disable_v2_behavior, executing_eagerly  # noqa: F401
from torchmeta.dtypes import DType, as_dtype  # noqa: F401
from torchmeta.framework.control_flow_util import disable_control_flow_v2, enable_control_flow_v2  # noqa: F401
from torchmeta.framework.default_session import get_default_session  # noqa: F401
from torchmeta.framework.graph import (  # noqa: F401  # noqa: F401
    GRAPH_DEF_VERSION,
    GRAPH_DEF_VERSION_MIN_CONSUMER,
    GRAPH_DEF_VERSION_MIN_PRODUCER,
    Graph,
    GraphKeys,
    Operation,
    Tensor,
    add_to_collection,
    add_to_collections,
    colocate_with,
    control_dependencies,
    convert_to_tensor,
    device,
    get_all_collection_keys,
    get_collection,
    get_collection_ref,
    get_default_graph,
    name_scope,
    register_proto_function,
    register_tensor_conversion_function,
    reset_default_graph,
)
from torchmeta.framework.indexed_slices import IndexedSlices  # noqa: F401
from torchmeta.framework.meta_graph import TENSORFLOW_GIT_VERSION as GIT_VERSION  # noqa: F401
from torchmeta.framework.meta_graph import TENSORFLOW_VERSION as VERSION  # noqa: F401
from torchmeta.framework.registry import NOT_DIFFERENTIABLE, not_differentiable, register_gradient, register_op  # noqa: F401
from torchmeta.framework.sparse_tensor import SparseTensor, SparseTensorValue  # noqa: F401
from torchmeta.framework.tensor_shape import Dimension, TensorShape, dimension_at_index, dimension_value  # noqa: F401
from torchmeta.framework.tensor_util import MakeNdarray as make_ndarray  # noqa: F401, N813 - TF's two names
from torchmeta.framework.tensor_util import get_static_value, make_tensor_proto  # noqa: F401
from torchmeta.framework.tensor_util import is_tf_type as is_tensor  # noqa: F401
from torchmeta.io import gfile as _io_gfile  # noqa: F401 - tf.io.gfile
from torchmeta.platform import app, flags  # noqa: F401
from torchmeta.platform import tf_logging as logging  # noqa: F401
from torchmeta.platform.tf_logging import get_logger  # noqa: F401
from torchmeta.runtime.module import assign_from_module, to_module  # noqa: F401
from torchmeta.runtime.session import (  # noqa: F401
    ConfigProto,
    GPUOptions,
    GraphOptions,
    InteractiveSession,
    OptimizerOptions,
    Session,
)
from torchmeta.tools.eject import eject  # noqa: F401
from torchmeta.version import __version__  # noqa: F401

# isort: split
# After math_ops, so that tf.clip_by_value is clip_ops' (it also clips IndexedSlices).
# tf.io is torchmeta.io (the file formats, below the framework) plus the parsing functions, which
# build graphs and so live in api/; the top level joins them.
from torchmeta.api import image_ops as _image_ops
from torchmeta.api import math_composite_ops as _math_composite_ops
from torchmeta.api import math_ops as _math_ops
from torchmeta.api import parsing_ops as _parsing_ops
from torchmeta.api import string_ops as _string_ops
from torchmeta.api.clip_ops import *  # noqa: F403
from torchmeta.api.image_ops import decode_image as _decode_image
from torchmeta.api.image_ops import extract_image_patches  # noqa: F401

for _name in _parsing_ops.__all__:
    setattr(io, _name, getattr(_parsing_ops, _name))
io.decode_image = _decode_image
# TF1's tf.io names for the codecs and queues that live under tf.image, tf.strings and the top level.
for _name in (
    "decode_png",
    "decode_jpeg",
    "decode_and_crop_jpeg",
    "extract_jpeg_shape",
    "decode_bmp",
    "decode_gif",
    "encode_png",
    "encode_jpeg",
    "is_jpeg",
):
    setattr(io, _name, getattr(_image_ops, _name))
io.decode_base64 = _string_ops.decode_base64
io.encode_base64 = _string_ops.encode_base64
io.QueueBase = QueueBase
io.PaddingFIFOQueue = PaddingFIFOQueue
io.PriorityQueue = PriorityQueue
io.RandomShuffleQueue = RandomShuffleQueue
io.matching_files = matching_files
io.read_file = read_file
io.write_file = write_file
io.match_filenames_once = train.match_filenames_once
del _name

# tf.dtypes' functions: torchmeta.dtypes is the base layer's dtype table, so the top level adds the builders.
dtypes.as_string = as_string
dtypes.cast = _math_ops.cast
dtypes.complex = _math_composite_ops.complex
dtypes.saturate_cast = _math_ops.saturate_cast

# tf.print (a module attribute named after the builtin, as in TensorFlow).
globals()["print"] = print_v2

# The seed document calls tf.latest_checkpoint (a TF 0.x top-level name).
latest_checkpoint = train.latest_checkpoint

# tf.float32, tf.int64, tf.bool, tf.half, ... (the names TF exports).
globals().update(dtypes.DType.__members__)

spectral = signal  # TF1's tf.spectral: the FFTs under their older namespace
