"""Horovod's TF1 API on torchmeta.distributed: ``import torchmeta.horovod as hvd`` where the code had
``import horovod.tensorflow as hvd`` (hvd.init, hvd.rank, hvd.DistributedOptimizer, ...)."""

from torchmeta import distributed
from torchmeta.distributed import *  # noqa: F403 - the same names, under Horovod's module name

__all__ = list(distributed.__all__)
