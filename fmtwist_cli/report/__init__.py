"""The report: every piece of evidence in one page, and the guess it leads to.

One module per job, in the order the work happens:

- :mod:`.inputs`: :func:`load_inputs` reads whatever the artifacts folder holds (data,
  training histories, ONNX models, embeddings, maps, clusterings) and checks it,
  before anything is written;
- :mod:`.evidence`: :func:`measure` measures what is left to measure (test accuracy
  through onnxruntime, the reference classifier's reading of every test image, the
  merge map, sub-groups, clustering scores, the score) once, into one
  :class:`Evidence` that everything below only reads (:mod:`.summary`: the ``--json`` object);
- :mod:`.sections` and :mod:`.classes`: the prose, tables and figures;
- :mod:`.render`: :func:`write` renders the report twice: ``index.html``, one
  self-contained file with the figures inlined, and ``report.md`` with the figures
  beside it; both open with the answer (:func:`.classes.answer_section`), then a
  contents list, then the evidence. :mod:`.text` is their little Markdown, and
  :func:`.text.literal` the one way a file's text enters it.

A missing piece never stops the report: its section says which command makes it.
"""

from __future__ import annotations

from collections.abc import Callable

from fmtwist_cli.report import classes, sections
from fmtwist_cli.report.evidence import Evidence, measure
from fmtwist_cli.report.inputs import Inputs, load_inputs, reference_hint
from fmtwist_cli.report.render import Figure, Link, Report, Section, Table, render_html, render_markdown, write
from fmtwist_cli.report.summary import summarize
from fmtwist_cli.result import Log

TITLE = "What is each mystery class made of?"

__all__ = [
    "Evidence",
    "Figure",
    "Inputs",
    "Link",
    "Report",
    "Section",
    "Table",
    "build",
    "load_inputs",
    "measure",
    "reference_hint",
    "render_html",
    "render_markdown",
    "write",
]


def build(inp: Inputs, predict: Callable | None = None, seed: int = 0, log: Log | None = None) -> Report:
    """Measure the evidence once, then assemble every section from it.

    ``predict(onnx_path, images)`` returns ``{"probs": ...}`` (default:
    :func:`fmtwist_cli.encode.embedding.predict`); ``log`` hears each stage.
    """
    ev = measure(inp, predict, seed, log)
    if log is not None:
        log("drawing figures")
    parts = [
        sections.explore_section(ev),
        sections.data_section(ev),
        sections.models_section(ev),
        sections.maps_section(ev),
        sections.clusters_section(ev),
        classes.classes_section(ev),
        classes.guess_section(ev),
        classes.score_section(ev),
        sections.provenance_section(ev),
    ]
    evidence = [s for s in parts if s is not None]
    return Report(TITLE, evidence, summarize(ev), ev.missing, answer=classes.answer_section(ev))
