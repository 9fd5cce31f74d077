"""``tf.train.SessionRunHook`` and the objects a MonitoredSession hands its hooks around each run.

A hook is called at ``begin`` (graph still editable), ``after_create_session``, ``before_run`` (it may
return ``SessionRunArgs``: extra fetches, feeds and options merged into the run), ``after_run`` (with
``SessionRunValues``: its fetches' values) and ``end``. ``run_context.request_stop()`` ends the loop.
"""

from __future__ import annotations

import collections

__all__ = ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues"]


class SessionRunHook:
    """A hook into ``MonitoredSession.run``; subclasses override the calls they need."""

    def begin(self):
        """Before the session is created; the graph may still be changed."""

    def after_create_session(self, session, coord):
        """The session exists (variables initialized or restored); the graph is finalized."""

    def before_run(self, run_context):
        """Before each run: return ``SessionRunArgs`` to add fetches, feeds or options, or None."""
        return None

    def after_run(self, run_context, run_values):
        """After each run, with this hook's fetched values in ``run_values.results``."""

    def end(self, session):
        """When the MonitoredSession closes without an error."""


class SessionRunArgs(collections.namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a run: ``fetches`` (any fetch structure), ``feed_dict`` and ``RunOptions``."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


class SessionRunContext:
    """The run in progress: the caller's ``original_args``, the ``session``, and stop requests."""

    def __init__(self, original_args, session):
        self._original_args = original_args
        self._session = session
        self._stop_requested = False

    @property
    def original_args(self):
        """The caller's fetches and feed_dict as ``SessionRunArgs``."""
        return self._original_args

    @property
    def session(self):
        """The underlying session (runs here do not call hooks)."""
        return self._session

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self):
        """Asks the MonitoredSession to stop: ``should_stop()`` is True after this run."""
        self._stop_requested = True


class SessionRunValues(collections.namedtuple("SessionRunValues", ["results", "options", "run_metadata"])):
    """What a hook gets after a run: the values of its fetches, the RunOptions and the RunMetadata."""
