"""A graph's function library: what ``GraphDef.library`` holds (FunctionDefs, GradientDefs, RegisteredGradients).

The protos are kept as they came, in their order, so a library imports and exports byte for byte.
Function bodies as graphs are built from it by ``torchmeta.framework.func_graph``.
"""

from __future__ import annotations

from torchmeta._proto import function_pb2

__all__ = ["FunctionLibrary"]


class FunctionLibrary:
    """A graph's function library: FunctionDefs by name, GradientDefs and RegisteredGradients."""

    def __init__(self):
        self._functions: dict[str, function_pb2.FunctionDef] = {}
        self._gradients: list[function_pb2.GradientDef] = []
        self._registered_gradients: list[function_pb2.RegisteredGradient] = []
        self._graphs: dict = {}  # function name -> FuncGraph (torchmeta.framework.func_graph's cache)

    def __len__(self) -> int:
        return len(self._functions) + len(self._gradients) + len(self._registered_gradients)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __contains__(self, name) -> bool:
        return name in self._functions

    def names(self) -> list[str]:
        return list(self._functions)

    def get(self, name: str) -> function_pb2.FunctionDef | None:
        """The FunctionDef named ``name``, or None."""
        return self._functions.get(name)

    def add(self, function_def) -> None:
        """Adds a FunctionDef; one with the same name must be identical.

        Raises:
          ValueError: if a different function of that name exists (TensorFlow's wording).
        """
        name = function_def.signature.name
        existing = self._functions.get(name)
        if existing is not None:
            if existing.SerializeToString(deterministic=True) != function_def.SerializeToString(deterministic=True):
                raise ValueError(
                    f"Cannot add function '{name}' because a different function with the same name already exists."
                )
            return
        copy = function_pb2.FunctionDef()
        copy.MergeFromString(function_def.SerializeToString())
        self._functions[name] = copy

    def add_gradient(self, function_name: str, gradient_func: str) -> None:
        """Records that ``gradient_func`` is the gradient of ``function_name`` (a GradientDef)."""
        for g in self._gradients:
            if g.function_name == function_name:
                if g.gradient_func != gradient_func:
                    raise ValueError(
                        f"Cannot assign gradient function '{gradient_func}' to '{function_name}' because it already "
                        f"has gradient function '{g.gradient_func}'"
                    )
                return
        self._gradients.append(function_pb2.GradientDef(function_name=function_name, gradient_func=gradient_func))

    def gradient_function(self, function_name: str) -> str | None:
        """The name of ``function_name``'s gradient function (from a GradientDef), or None."""
        for g in self._gradients:
            if g.function_name == function_name:
                return g.gradient_func
        return None

    def merge(self, library) -> None:
        """Adds a FunctionDefLibrary proto's functions and gradients (TF's rules for duplicates)."""
        for f in library.function:
            self.add(f)
        for g in library.gradient:
            self.add_gradient(g.function_name, g.gradient_func)
        have = {(x.gradient_func, x.registered_op_type) for x in self._registered_gradients}
        for x in library.registered_gradients:
            if (x.gradient_func, x.registered_op_type) not in have:
                self._registered_gradients.append(
                    function_pb2.RegisteredGradient(
                        gradient_func=x.gradient_func, registered_op_type=x.registered_op_type
                    )
                )

    def to_proto(self) -> function_pb2.FunctionDefLibrary:
        """The library as TensorFlow writes it, functions in the order they were added."""
        out = function_pb2.FunctionDefLibrary()
        for f in self._functions.values():
            out.function.add().CopyFrom(f)
        out.gradient.extend(self._gradients)
        out.registered_gradients.extend(self._registered_gradients)
        return out
