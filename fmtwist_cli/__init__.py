"""fmtwist: solve the twisted Fashion-MNIST puzzle, from the command line or from Python.

    from fmtwist_cli import Workspace, grade, info

The library never imports typer or rich; the command line lives in :mod:`fmtwist_cli.cli`. Importing the
package loads no TensorFlow, onnxruntime, scikit-learn, matplotlib or umap: each step loads what it needs.
"""

__version__ = "0.1.0"

__all__ = ["Workspace", "__version__", "grade", "info"]


def __getattr__(name: str):
    # Workspace, grade and info load with their first use, so that the command line, which needs only __version__ here,
    # starts without the API's modules (PEP 562).
    if name in ("Workspace", "grade", "info"):
        from fmtwist_cli import workspace

        return getattr(workspace, name)
    raise AttributeError(f"module 'fmtwist_cli' has no attribute {name!r}")
