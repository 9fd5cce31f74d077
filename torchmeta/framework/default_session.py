"""The default-session stack: what ``Tensor.eval()`` and ``Operation.run()`` run in.

TensorFlow keeps this stack in its framework (``ops.get_default_session``), below the Session class:
``Session.as_default()`` (and ``with Session():``) pushes the session here, and graph objects find it
without importing the runtime.
"""

from __future__ import annotations

import threading

__all__ = ["get_default_session", "default_session", "run_using_default_session"]


class _DefaultSessionStack(threading.local):
    def __init__(self):
        super().__init__()
        self.stack = []


_stack = _DefaultSessionStack()


def get_default_session():
    """The innermost session entered with ``as_default()`` / ``with Session()``, or None."""
    stack = _stack.stack
    return stack[-1] if stack else None


class default_session:  # noqa: N801 - a context manager named like TF's ops.default_session
    """Makes ``session`` the default session inside a ``with`` block (thread-local)."""

    def __init__(self, session):
        self._session = session

    def __enter__(self):
        _stack.stack.append(self._session)
        return self._session

    def __exit__(self, *exc):
        stack = _stack.stack
        if stack and stack[-1] is self._session:
            stack.pop()
        elif self._session in stack:
            stack.remove(self._session)
        return False


def run_using_default_session(fetch, feed_dict, graph, session, kind: str):
    """``session.run(fetch, feed_dict)`` in ``session`` or the default one; ``kind`` is "tensor" or "operation".

    Raises:
      ValueError: with TensorFlow's wording, when there is no session or it runs another graph.
    """
    if session is None:
        session = get_default_session()
        if session is None:
            verb = "eval()" if kind == "tensor" else "run()"
            raise ValueError(
                f"Cannot evaluate {kind} using `{verb}`: No default session is registered. Use `with "
                f"sess.as_default()` or pass an explicit session to `{verb.rstrip('()')}(session=sess)`"
            )
    if session.graph is not graph:
        raise ValueError(
            "Cannot use the given session to evaluate tensor: the tensor's graph is different from the session's graph."
        )
    return session.run(fetch, feed_dict)
