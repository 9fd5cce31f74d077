"""torchmeta's version, defined here only (pyproject.toml reads it; MetaGraphDefs record it)."""

__version__ = "0.1.0"
