"""Where things are: the repository, the artefacts the tests and benchmarks write, the data sets beside the checkout."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (``app.py`` is there)."""

ARTIFACTS = ROOT / "artifacts"
"""Screenshots and server logs (ignored by git)."""

MNIST_T10K = ROOT.parent / "shared" / "data" / "mnist-t10k"
"""The real MNIST test set (``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``), beside the checkout; a test
or benchmark that needs it skips that part where the folder is missing."""
