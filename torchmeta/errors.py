"""torchmeta's exceptions: one hierarchy named after ``tf.errors``, plus UnsupportedOpError and FormatError.

Messages follow one shape, ``<OpType> '<node name>': <what is wrong>; <what is supported or how to fix>``,
and reuse TensorFlow's wording where TensorFlow has an exact phrase.
"""

from __future__ import annotations

import functools

__all__ = [
    "InaccessibleTensorError",
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
    "TorchMetaError",
    "OpError",
    "InvalidValueError",
    "MetaGraphNotFoundError",
    "as_invalid_value",
    "invalid_values",
    "CancelledError",
    "UnknownError",
    "InvalidArgumentError",
    "DeadlineExceededError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "AbortedError",
    "OutOfRangeError",
    "UnimplementedError",
    "InternalError",
    "UnavailableError",
    "DataLossError",
    "UnauthenticatedError",
    "UnsupportedOpError",
    "FormatError",
    "exception_type_from_error_code",
]

# tensorflow.error.Code numbers.
OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class TorchMetaError(Exception):
    """Base class of every error torchmeta raises on purpose."""


class OpError(TorchMetaError):
    """An error tied (optionally) to a graph operation, like ``tf.errors.OpError``.

    Args:
      node_def: the NodeDef of the failing node, or None.
      op: the failing ``Operation``, or None.
      message: what went wrong.
      error_code: the ``tensorflow.error.Code`` number (set by subclasses).
    """

    error_code = UNKNOWN

    def __init__(self, node_def=None, op=None, message="", *args, error_code=None):
        super().__init__(message, *args)
        self.node_def = node_def
        self.op = op
        self.message = message
        if error_code is not None:
            self.error_code = error_code

    def __reduce__(self):
        return (type(self), (None, None, self.message))

    def __str__(self):
        if self.op is not None:
            name = getattr(self.op, "name", None)
            if name and f"{{{{node {name}}}}}" not in self.message:
                return f"{self.message}\n\t [[{{{{node {name}}}}}]]"
        return self.message


class CancelledError(OpError):
    error_code = CANCELLED


class UnknownError(OpError):
    error_code = UNKNOWN


class InvalidArgumentError(OpError):
    error_code = INVALID_ARGUMENT


class DeadlineExceededError(OpError):
    error_code = DEADLINE_EXCEEDED


class NotFoundError(OpError):
    error_code = NOT_FOUND


class AlreadyExistsError(OpError):
    error_code = ALREADY_EXISTS


class PermissionDeniedError(OpError):
    error_code = PERMISSION_DENIED


class ResourceExhaustedError(OpError):
    error_code = RESOURCE_EXHAUSTED


class FailedPreconditionError(OpError):
    error_code = FAILED_PRECONDITION


class AbortedError(OpError):
    error_code = ABORTED


class OutOfRangeError(OpError):
    error_code = OUT_OF_RANGE


class UnimplementedError(OpError):
    error_code = UNIMPLEMENTED


class InternalError(OpError):
    error_code = INTERNAL


class UnavailableError(OpError):
    error_code = UNAVAILABLE


class DataLossError(OpError):
    error_code = DATA_LOSS


class UnauthenticatedError(OpError):
    error_code = UNAUTHENTICATED


class UnsupportedOpError(UnimplementedError):
    """A graph uses op types torchmeta has no kernel (or no signature) for.

    Attributes:
      missing: ``{op_type: [node names]}`` for every unsupported op type found.
    """

    def __init__(self, missing: dict[str, list[str]], where: str = "graph"):
        lines = []
        for op_type in sorted(missing):
            names = missing[op_type]
            shown = ", ".join(f"'{n}'" for n in names[:5])
            more = f" and {len(names) - 5} more" if len(names) > 5 else ""
            lines.append(f"  {op_type}: {shown}{more}")
        message = (
            f"The {where} uses {len(missing)} op type(s) torchmeta does not support:\n"
            + "\n".join(lines)
            + "\nRegister them with torchmeta.register_op (see README, 'Adding an op')."
        )
        super().__init__(None, None, message)
        self.missing = dict(missing)

    def __reduce__(self):
        return (type(self), (self.missing,))


class MetaGraphNotFoundError(NotFoundError, RuntimeError):
    """No MetaGraph of a SavedModel has the tags asked for (a RuntimeError too: TensorFlow raises that)."""


class InvalidValueError(InvalidArgumentError, ValueError):
    """Bad content where TensorFlow's Python layer raises ``ValueError``: a GraphDef or MetaGraphDef (or a proto in
    one of its collections) that cannot be imported, an unusable ``checkpoint`` state file.

    An :class:`InvalidArgumentError` (what the file's content is) and a ``ValueError`` (what TF1 code catches).
    """


def invalid_values(fn):
    """Decorates a function that parses content: a raw ``ValueError`` / ``KeyError`` escaping it (an invalid name,
    index or value met deep inside) becomes an :class:`InvalidValueError` with the same message."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TorchMetaError:
            raise
        except (ValueError, KeyError) as e:
            raise as_invalid_value("", e) from e

    return wrapper


def as_invalid_value(message: str, cause: BaseException | None = None) -> InvalidValueError:
    """An :class:`InvalidValueError` carrying ``message`` (``cause``'s text appended when given)."""
    if cause is not None:
        text = str(cause.args[0]) if isinstance(cause, KeyError) and cause.args else str(cause)
        message = f"{message}: {text}" if message else text
    return InvalidValueError(None, None, message)


class InaccessibleTensorError(TorchMetaError, ValueError):
    """A tensor or op that may not be used here (TF's errors.InaccessibleTensorError: e.g. fetching an op
    built inside a cond branch or loop body)."""


class FormatError(TorchMetaError, OSError):
    """A file that cannot be used: missing, empty, truncated, corrupt or of another format.

    It is an ``OSError`` too, because TensorFlow raises ``IOError`` in the same places.

    Attributes:
      filename: the file at fault.
    """

    def __init__(self, filename, message: str):
        super().__init__(f"{message} (file: {filename})")
        self.filename = str(filename)
        self.reason = message

    def __reduce__(self):
        return (type(self), (self.filename, self.reason))

    def __str__(self):
        return self.args[0]


_CODE_TO_CLASS = {
    cls.error_code: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def exception_type_from_error_code(error_code: int) -> type[OpError]:
    """The OpError subclass for a ``tensorflow.error.Code`` number, as in ``tf.errors``."""
    return _CODE_TO_CLASS[error_code]
