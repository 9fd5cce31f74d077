"""Samples for parsing and string ops: Example/SequenceExample parsing, DecodeRaw, DecodeCSV, StringToNumber,
StringSplit(V2). Serialized protos are built with torchmeta's own (wire-compatible) messages."""

from __future__ import annotations

import gzip
import zlib

import numpy as np

from tests.ops.harness import Sample
from torchmeta._proto import example_pb2

S = Sample


def strings(*values, shape=None):
    out = np.empty(len(values), dtype=object)
    out[:] = [v.encode() if isinstance(v, str) else v for v in values]
    return out.reshape(shape if shape is not None else (len(values),))


def scalar(value):
    return strings(value, shape=())


def example(**features) -> bytes:
    ex = example_pb2.Example()
    for key, values in features.items():
        feature = ex.features.feature[key]
        if values is None:
            feature.SetInParent()  # a feature of no kind counts as missing
        elif isinstance(values[0], float):
            feature.float_list.value.extend(values)
        elif isinstance(values[0], int):
            feature.int64_list.value.extend(values)
        else:
            feature.bytes_list.value.extend(v.encode() if isinstance(v, str) else v for v in values)
    return ex.SerializeToString()


def sequence_example(context=None, lists=None) -> bytes:
    se = example_pb2.SequenceExample()
    se.context.CopyFrom(example_pb2.Example.FromString(example(**(context or {}))).features)
    for key, steps in (lists or {}).items():
        flist = se.feature_lists.feature_list[key]
        for values in steps:
            feature = flist.feature.add()
            if not values:
                feature.float_list.SetInParent()  # an empty step of a float list
            elif isinstance(values[0], float):
                feature.float_list.value.extend(values)
            elif isinstance(values[0], int):
                feature.int64_list.value.extend(values)
            else:
                feature.bytes_list.value.extend(v.encode() for v in values)
    return se.SerializeToString()


_BATCH = strings(
    example(f=[1.5, 2.5], i=[7], s=["a", "bc"], v=[1, 2, 3], seq=[0.5, 1.5, 2.5, 3.5], r=[5, 6]),
    example(f=[3.0, 4.0], s=["d", ""], v=[4], seq=[9.0, 8.0]),
    example(f=[5.0, 6.0], i=[9], s=["x", "y"], v=None, r=[7]),
)
_EMPTY = np.zeros(0, dtype=object)


def _defaults_f32(*values):
    return np.array(values, np.float32)


_parse_example_v2 = [
    S(
        "ParseExampleV2",
        {
            "serialized": _BATCH,
            "names": _EMPTY,
            "sparse_keys": strings("s", "v"),
            "dense_keys": strings("f", "i", "seq"),
            "ragged_keys": strings("r"),
            "dense_defaults": [np.zeros(0, np.float32), np.array([-1], np.int64), np.array(0.0, np.float32)],
        },
        {
            "num_sparse": 2,
            "sparse_types": ["dtype:string", "dtype:int64"],
            "ragged_value_types": ["dtype:int64"],
            "ragged_split_types": ["dtype:int32"],
            "dense_shapes": [[2], [1], [None, 2]],
        },
        id="batch",
    ),
    S(
        "ParseExampleV2",
        {
            "serialized": _BATCH,
            "names": strings("a", "b", "c"),
            "sparse_keys": _EMPTY,
            "dense_keys": strings("f"),
            "ragged_keys": _EMPTY,
            "dense_defaults": [np.zeros(0, np.float32)],
        },
        {
            "num_sparse": 0,
            "sparse_types": [],
            "ragged_value_types": [],
            "ragged_split_types": [],
            "dense_shapes": [[2]],
        },
        fed={"serialized": [None]},
        id="fed-unknown-batch",
    ),
    S(
        "ParseExampleV2",
        {
            "serialized": scalar(example(f=[1.5, 2.5], s=["a", "bc"], m=[1, 2, 3, 4], r=["u", "v", "w"])),
            "names": _EMPTY,
            "sparse_keys": strings("s"),
            "dense_keys": strings("f", "m", "missing"),
            "ragged_keys": strings("r"),
            "dense_defaults": [
                np.zeros(0, np.float32),
                np.zeros(0, np.int64),
                np.array([[b"p", b"q"]], dtype=object),
            ],
        },
        {
            "num_sparse": 1,
            "sparse_types": ["dtype:string"],
            "ragged_value_types": ["dtype:string"],
            "ragged_split_types": ["dtype:int64"],
            "dense_shapes": [[2, 1], [2, 2], [1, 2]],
        },
        id="scalar",
    ),
    S(
        "ParseExampleV2",
        {
            "serialized": _BATCH[:0],
            "names": _EMPTY,
            "sparse_keys": strings("v"),
            "dense_keys": strings("seq"),
            "ragged_keys": _EMPTY,
            "dense_defaults": [np.array(7.0, np.float32)],
        },
        {
            "num_sparse": 1,
            "sparse_types": ["dtype:int64"],
            "ragged_value_types": [],
            "ragged_split_types": [],
            "dense_shapes": [[None]],
        },
        id="empty-batch",
    ),
]

_parse_example_v1 = [
    S(
        "ParseExample",
        {
            "serialized": _BATCH,
            "names": _EMPTY,
            "sparse_keys": [scalar("s"), scalar("v")],
            "dense_keys": [scalar("f"), scalar("seq")],
            "dense_defaults": [np.zeros(0, np.float32), np.array(-2.0, np.float32)],
        },
        {
            "sparse_types": ["dtype:string", "dtype:int64"],
            "dense_shapes": [[2], [None]],
        },
    ),
    S(
        "ParseSingleExample",
        {
            "serialized": scalar(example(f=[1.5, 2.5], s=["a", "bc"])),
            "dense_defaults": [np.zeros(0, np.float32), np.array([3, 4], np.int64)],
        },
        {
            "num_sparse": 1,
            "sparse_keys": ["s"],
            "dense_keys": ["f", "i"],
            "sparse_types": ["dtype:string"],
            "dense_shapes": [[2], [2]],
        },
    ),
]

_SEQ = strings(
    sequence_example(
        {"c": [1.0], "t": ["x"]},
        {"q": [[1, 2], [3, 4], [5, 6]], "v": [[1.0], [], [2.0, 3.0]], "v2": [[4.0, 5.0], [6.0]]},
    ),
    sequence_example({"c": [2.0]}, {"q": [[7, 8]], "w": [["a"], ["b", "c"]]}),
)

_parse_sequence = [
    S(
        "ParseSequenceExampleV2",
        {
            "serialized": _SEQ,
            "debug_name": _EMPTY,
            "context_sparse_keys": strings("t"),
            "context_dense_keys": strings("c"),
            "context_ragged_keys": _EMPTY,
            "feature_list_sparse_keys": strings("v"),
            "feature_list_dense_keys": strings("q", "z"),
            "feature_list_ragged_keys": strings("w"),
            "feature_list_dense_missing_assumed_empty": np.array([False, True]),
            "context_dense_defaults": [np.zeros(0, np.float32)],
        },
        {
            "Ncontext_sparse": 1,
            "context_sparse_types": ["dtype:string"],
            "context_dense_shapes": [[]],
            "Nfeature_list_sparse": 1,
            "Nfeature_list_dense": 2,
            "feature_list_sparse_types": ["dtype:float32"],
            "feature_list_dense_types": ["dtype:int64", "dtype:float32"],
            "feature_list_dense_shapes": [[2], [3]],
            "feature_list_ragged_value_types": ["dtype:string"],
            "feature_list_ragged_split_types": ["dtype:int64"],
        },
        id="batch",
    ),
    S(
        "ParseSequenceExampleV2",
        {
            "serialized": _SEQ[:1].reshape(()),
            "debug_name": _EMPTY,
            "context_sparse_keys": _EMPTY,
            "context_dense_keys": strings("c", "d"),
            "context_ragged_keys": _EMPTY,
            "feature_list_sparse_keys": strings("v"),
            "feature_list_dense_keys": strings("q"),
            "feature_list_ragged_keys": strings("v2"),
            "feature_list_dense_missing_assumed_empty": np.array([False]),
            "context_dense_defaults": [np.zeros(0, np.float32), np.array([1, 2], np.int64)],
        },
        {
            "context_dense_shapes": [[1], [2]],
            "Nfeature_list_sparse": 1,
            "Nfeature_list_dense": 1,
            "feature_list_sparse_types": ["dtype:float32"],
            "feature_list_dense_types": ["dtype:int64"],
            "feature_list_dense_shapes": [[2]],
            "feature_list_ragged_value_types": ["dtype:float32"],
            "feature_list_ragged_split_types": ["dtype:int32"],
        },
        id="scalar",
        # TF's kernel leaves the 0-d outer row splits of a scalar input uninitialized.
        opaque_outputs=(8,),
    ),
    S(
        "ParseSingleSequenceExample",
        {
            "serialized": _SEQ[:1].reshape(()),
            "feature_list_dense_missing_assumed_empty": strings("z"),
            "context_sparse_keys": [scalar("t")],
            "context_dense_keys": [scalar("c")],
            "feature_list_sparse_keys": [scalar("v")],
            "feature_list_dense_keys": [scalar("q"), scalar("z")],
            "context_dense_defaults": [np.zeros(0, np.float32)],
            "debug_name": scalar(""),
        },
        {
            "context_sparse_types": ["dtype:string"],
            "context_dense_shapes": [[]],
            "feature_list_sparse_types": ["dtype:float32"],
            "feature_list_dense_types": ["dtype:int64", "dtype:float32"],
            "feature_list_dense_shapes": [[2], []],
        },
    ),
]

_decode = [
    S("DecodeRaw", {"bytes": strings(b"\x01\x00\x02\x00", b"\xff\xff\x00\x80")}, {"out_type": "dtype:int16"}),
    S(
        "DecodeRaw",
        {"bytes": strings(b"\x01\x00\x02\x00", b"\xff\xff\x00\x80")},
        {"out_type": "dtype:int16", "little_endian": False},
        id="big-endian",
    ),
    S(
        "DecodeRaw",
        {"bytes": strings(np.arange(6, dtype=np.float32).tobytes(), shape=(1, 1))},
        {"out_type": "dtype:float32"},
        id="float-2d",
    ),
    S("DecodeRaw", {"bytes": strings(b"\x00\x01\x02")}, {"out_type": "dtype:uint8"}, id="uint8"),
    S("DecodeRaw", {"bytes": strings(b"\x00\x01")}, {"out_type": "dtype:bool"}, id="bool"),
    S(
        "DecodeRaw",
        {"bytes": strings(np.array([1.5, -2.0], np.float16).tobytes())},
        {"out_type": "dtype:float16"},
        id="half",
    ),
    S(
        "DecodeCSV",
        {
            "records": strings('1,2.5,"a,b",7', " 3 ,,x,", '4,1e3,"q""uote",-1', shape=(3,)),
            "record_defaults": [
                np.zeros(0, np.int32),
                np.array([9.5], np.float32),
                np.array([b"d"], dtype=object),
                np.array([0], np.int64),
            ],
        },
    ),
    S(
        "DecodeCSV",
        {
            "records": strings("1;NA;z", "2;4;NA", shape=(2, 1)),
            "record_defaults": [np.array([0], np.int64), np.array([-1.0]), np.array([b"?"], dtype=object)],
        },
        {"field_delim": ";", "na_value": "NA"},
        id="na-value-2d",
    ),
    S(
        "DecodeCSV",
        {
            "records": strings("a,b,1,c,2.5", "d,e,3,f,4"),
            "record_defaults": [np.array([0], np.int32), np.array([0.0], np.float32)],
        },
        {"select_cols": [2, 4]},
        id="select-cols",
    ),
    S(
        "DecodeCSV",
        {"records": strings('"x"y', "p"), "record_defaults": [np.array([b""], dtype=object)]},
        {"use_quote_delim": False},
        id="no-quotes",
    ),
    S("StringToNumber", {"string_tensor": strings("1.5", "-2e3", " 7 ", "inf")}),
    S(
        "StringToNumber",
        {"string_tensor": strings("12", "-7", "+3", shape=(1, 3))},
        {"out_type": "dtype:int32"},
        id="int32",
    ),
    S("StringToNumber", {"string_tensor": strings("9007199254740993")}, {"out_type": "dtype:int64"}, id="int64"),
    S("StringToNumber", {"string_tensor": strings("0.1", "1e-300")}, {"out_type": "dtype:float64"}, id="double"),
    S("StringSplit", {"input": strings("hello world", "a  b c", "", "one"), "delimiter": scalar(" ")}),
    S(
        "StringSplit",
        {"input": strings("a,b;;c", ";x"), "delimiter": scalar(",;")},
        {"skip_empty": False},
        id="any-char-keep-empty",
    ),
    S("StringSplit", {"input": strings("abc", "d"), "delimiter": scalar("")}, id="bytes"),
    S("StringSplitV2", {"input": strings("a<>b<><>c", "", "<>"), "sep": scalar("<>")}),
    S("StringSplitV2", {"input": strings("  a b\t c  ", "", "x"), "sep": scalar("")}, id="whitespace"),
    S("StringSplitV2", {"input": strings("a,b,c,d"), "sep": scalar(",")}, {"maxsplit": 2}, id="maxsplit"),
]


def _serialized(proto_fields: bytes):
    """A TensorProto's bytes, as TF's SerializeTensor writes them (dtype, shape, then the content)."""
    return scalar(proto_fields)


_tensors = [
    Sample("SerializeTensor", {"tensor": np.array([[1.5, -2.0], [3.0, 4.25]], np.float32)}, grad=False),
    Sample("SerializeTensor", {"tensor": np.array(7, np.int64)}, id="scalar-int64", grad=False),
    Sample("SerializeTensor", {"tensor": np.array([True, False])}, id="bool", grad=False),
    Sample("SerializeTensor", {"tensor": strings(b"ab", b"", b"\xff", shape=(3, 1))}, id="string", grad=False),
    Sample("SerializeTensor", {"tensor": np.zeros((0, 3), np.float16)}, id="empty-half", grad=False),
    # Summary-free TensorProtos: float [2] {1, 2} as tensor_content; int64 [] 9 as int64_val; strings.
    Sample(
        "ParseTensor",
        {"serialized": _serialized(b'\x08\x01\x12\x04\x12\x02\x08\x02"\x08\x00\x00\x80?\x00\x00\x00@')},
        {"out_type": "dtype:float32"},
        grad=False,
    ),
    Sample(
        "ParseTensor",
        {"serialized": _serialized(b"\x08\t\x12\x00R\x01\t")},
        {"out_type": "dtype:int64"},
        id="int64_val",
        check_static_shape=False,
        grad=False,
    ),
    Sample(
        "ParseTensor",
        {"serialized": _serialized(b"\x08\x07\x12\x04\x12\x02\x08\x02B\x01aB\x00")},
        {"out_type": "dtype:string"},
        id="string",
        grad=False,
    ),
    Sample(
        "DecodeCompressed",
        {"bytes": strings(zlib.compress(b"hello" * 9), b"x\x9c\x03\x00\x00\x00\x00\x01")},
        {"compression_type": "ZLIB"},
        grad=False,
    ),
    Sample(
        "DecodeCompressed",
        {"bytes": scalar(gzip.compress(b"abc", mtime=0))},
        {"compression_type": "GZIP"},
        id="gzip",
        grad=False,
    ),
    Sample("DecodeCompressed", {"bytes": strings(b"as", b"is", shape=(1, 2))}, id="none", grad=False),
]

SAMPLES: list[Sample] = _parse_example_v2 + _parse_example_v1 + _parse_sequence + _decode + _tensors
