"""``tf.make_template``: a function whose variables are created on the first call and shared afterwards."""

from __future__ import annotations

import functools
import logging
import traceback

from torchmeta.api import variable_scope as vs
from torchmeta.framework import graph as graph_lib
from torchmeta.framework.graph import GraphKeys

__all__ = ["make_template", "Template"]

logger = logging.getLogger(__name__)


def make_template(name_, func_, create_scope_now_=False, unique_name_=None, custom_getter_=None, **kwargs):
    """``tf.make_template``: wraps ``func_`` so that every call shares the variables of the first.

    The first call opens a variable scope ``name_`` (uniquified, or ``unique_name_``) and creates the
    variables ``func_`` gets with ``tf.get_variable``; later calls re-enter the scope with reuse.

    Raises:
      ValueError: for ``name_=None``; from a later call, when it creates a trainable variable.
    """
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(
        name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_, custom_getter=custom_getter_
    )


def _skip_common_stack_elements(stacktrace, base_case):
    for i, (trace, base) in enumerate(zip(stacktrace, base_case)):
        if trace != base:
            return stacktrace[i:]
    return stacktrace[-1:]


class Template:
    """The callable ``make_template`` returns (TF's Template)."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None, custom_getter=None):
        self._func = func
        self._stacktrace = traceback.format_stack()[:-2]
        self._name = name
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        if name is None:
            raise ValueError("name cannot be None.")
        if create_scope_now:
            with vs.pure_variable_scope(
                self._unique_name or vs.get_unique_variable_scope(self._name), custom_getter=self._custom_getter
            ) as scope:
                self._variable_scope = scope
        else:
            self._variable_scope = None
        self._variables_created = False
        self._first_call = True

    def _call_func(self, args, kwargs):
        try:
            if self._variables_created:
                global_vars = graph_lib.get_collection_ref(GraphKeys.GLOBAL_VARIABLES)
                trainable_vars = graph_lib.get_collection_ref(GraphKeys.TRAINABLE_VARIABLES)
                vars_at_start, trainable_at_start = len(global_vars), len(trainable_vars)
                result = self._func(*args, **kwargs)
                if trainable_at_start != len(trainable_vars):
                    raise ValueError(
                        "Trainable variable created when calling a template after the first time, perhaps you used "
                        f"tf.Variable when you meant tf.get_variable: {trainable_vars[trainable_at_start:]}"
                    )
                if vars_at_start != len(global_vars):
                    logger.info(
                        "New variables created when calling a template after the first time, perhaps you used "
                        "tf.Variable when you meant tf.get_variable: %s",
                        global_vars[vars_at_start:],
                    )
                return result
            if self._first_call:
                self._first_call = False
                try:
                    result = self._func(*args, **kwargs)
                except BaseException:
                    self._first_call = True
                    raise
                self._variables_created = True
                return result
            return self._func(*args, **kwargs)
        except Exception as exc:
            # TF appends where the template was made to the error.
            arg0 = exc.args[0] if exc.args else ""
            trace = "".join(_skip_common_stack_elements(self._stacktrace, traceback.format_stack()))
            exc.args = (f"{arg0}\n\noriginally defined at:\n{trace}", *exc.args[1:])
            raise

    def __call__(self, *args, **kwargs):
        if self._variable_scope:
            with vs.variable_scope(self._variable_scope, reuse=not self._first_call):
                return self._call_func(args, kwargs)
        with vs.variable_scope(self._unique_name, self._name, custom_getter=self._custom_getter) as scope:
            self._variable_scope = scope
            return self._call_func(args, kwargs)

    @property
    def name(self):
        return self._name

    @property
    def func(self):
        return self._func

    @property
    def variable_scope(self):
        return self._variable_scope

    @property
    def variable_scope_name(self):
        if self._variable_scope:
            name = self._variable_scope.name
            return name if not name or name[-1] == "/" else name + "/"
        return None

    def _collection(self, key):
        return graph_lib.get_collection(key, self.variable_scope_name) if self._variables_created else []

    @property
    def variables(self):
        return self.global_variables + self.local_variables

    @property
    def trainable_variables(self):
        return self._collection(GraphKeys.TRAINABLE_VARIABLES)

    @property
    def non_trainable_variables(self):
        trainable = set(self.trainable_variables)
        return [x for x in self.global_variables if x not in trainable]

    @property
    def global_variables(self):
        return self._collection(GraphKeys.GLOBAL_VARIABLES)

    @property
    def local_variables(self):
        return self._collection(GraphKeys.LOCAL_VARIABLES)

    @property
    def weights(self):
        return self.variables

    @property
    def trainable_weights(self):
        return self.trainable_variables

    @property
    def non_trainable_weights(self):
        return self.non_trainable_variables
