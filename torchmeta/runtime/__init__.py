"""Running graphs: pruning, specialization, lowering to torch.fx, Session and to_module.

See ARCHITECTURE.md: this package sits above ``ops``, ``api`` and ``framework``.
"""
