"""fmtwist: solve the twisted Fashion-MNIST puzzle, from the command line or from Python.

    from fmtwist_cli import Workspace, grade

The library never imports typer or rich; the command line lives in :mod:`fmtwist_cli.cli`. Importing the
package loads no TensorFlow, onnxruntime, scikit-learn, matplotlib or umap: each step loads what it needs.
"""

__version__ = "0.1.0"

from fmtwist_cli.workspace import Workspace, grade

__all__ = ["Workspace", "__version__", "grade"]
