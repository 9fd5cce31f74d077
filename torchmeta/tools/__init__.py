"""Tools over whole models: ``eject`` (a graph as standalone PyTorch source)."""
