"""Graph building: Graph/Operation/Tensor, shapes, the op registry, import and export of graphs.

See ARCHITECTURE.md: this package imports only ``dtypes``, ``errors``, ``_proto`` and ``io``.
"""
