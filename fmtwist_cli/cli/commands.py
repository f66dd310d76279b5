"""What the root of `fmtwist` lists: its commands in pipeline order, its help, its options and usage line.

Plain data, read by the Typer app (:mod:`fmtwist_cli.cli.app`) and by the help page drawn without it
(:mod:`fmtwist_cli.cli.listing`), so the two cannot drift apart and neither imports the other for it.
"""

# In pipeline order, so --help reads as the workflow. Each help is the first paragraph of the command's docstring
# (what Typer would list), copied so listing imports nothing; tests/test_docs.py checks they stay equal.
COMMANDS = {
    "prepare": "Build the twisted dataset: artifacts/data.npz and the answer key artifacts/twist.json.",
    "train": "Train a network: artifacts/model-ARCH.keras and artifacts/history-ARCH.json.",
    "export": "Export a trained model to ONNX: artifacts/model-ARCH.onnx.",
    "embed": "Classify and embed a split with onnxruntime: artifacts/embeddings.npz.",
    "cluster": (
        "Cluster the encoding; score the clusters against the mystery labels "
        "(and, with --answer-key, the original categories)."
    ),
    "reduce": "Project the encoding to 2-D (PCA, t-SNE or UMAP) for plotting and clustering.",
    "inspect": "Show a cluster's or a class's images right in the terminal.",
    "plot": "Draw a figure: learning curves, a map, the k-distance curve, a confusion matrix or image samples.",
    "report": "Write the report: what is each mystery class made of? artifacts/report/index.html and report.md.",
    "explore": "Write artifacts/explore.html: every image on the map, to explore and to solve the puzzle by hand.",
    "grade": "Grade a guess against the answer key: how many of the 10 categories are placed in their true class.",
    "info": "Show what an artifact is: its kind, how it was made, what from, and its arrays.",
}
SUB_APPS = ("plot",)  # modules whose `app` is a Typer sub-app (one command per kind); the others' command is `<name>`
HELP = (
    "Solve the twisted Fashion-MNIST puzzle: "
    "prepare -> train -> export -> embed -> cluster -> reduce -> inspect/plot/report."
)
VERSION_HELP = "Show the version and exit."
# The root's options as Typer lists them: --version (app.py) and the three Typer adds, with Typer's own help texts.
OPTIONS = (
    ("--version", VERSION_HELP),
    ("--install-completion", "Install completion for the current shell."),
    ("--show-completion", "Show completion for the current shell, to copy it or customize the installation."),
    ("--help", "Show this message and exit."),
)
USAGE = "fmtwist [OPTIONS] COMMAND [ARGS]..."
