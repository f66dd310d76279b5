"""The report's sections about the classes: each mystery class, the guess, its score.

They only read the :class:`~fmtwist_cli.report.evidence.Evidence`.
"""

from __future__ import annotations

from pathlib import Path

from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.puzzle import guess, subgroups
from fmtwist_cli.report.evidence import GRID_N, Evidence
from fmtwist_cli.report.inputs import reference_hint
from fmtwist_cli.report.render import DPI, Link, Section, Table, png
from fmtwist_cli.report.sections import map_name, pct
from fmtwist_cli.report.text import literal


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _subgroups_intro(ev: Evidence) -> str:
    return (
        f", then the sub-groups the class splits into on the {literal(map_name(ev))} map, found with no labels at all: "
        "dense "
        "groups of the class's own points (HDBSCAN), kept apart only where the density between them falls below half "
        "the density inside them, and each big enough to be a category: at least "
        f"{pct(subgroups.min_group_share(ev.n_classes))} of the class and half as many images as one Fashion-MNIST "
        "category has (smaller islands are styles within a category). The count is checked on 10 random halves of "
        "the class. A second label-free fact completes it: Fashion-MNIST has as many images of every category, so a "
        "class's size says how many categories it holds. Where the map shows fewer groups than that (categories that "
        "look alike to the network), the largest group is cut in two along its longest direction (K-Means) until "
        "the numbers match, and the class says so; where it shows more, the nearest groups are joined. Each sub-group "
        "is shown by the images nearest its centre; a class merged from three categories should show three sub-groups."
    )


def _class_text(ev: Evidence, c: int) -> str:
    text = f"**Class {c}** ({int((ev.labels == c).sum()):,} images)."
    if ev.subgroups is None:
        return text
    sg = ev.subgroups[c]
    halves = f"{round(sg.stability * len(sg.counts_seen))} of {len(sg.counts_seen)} random halves"
    sizes = ", ".join(f"{n:,}" for n in sg.sizes)
    if not sg.fitted_to_size:
        return (
            text
            + f" It splits into **{_plural(sg.count, 'sub-group', 'sub-groups')}** (found in {halves}; sizes {sizes})."
        )
    how = (
        "cut where no valley separates them: their images look alike to the network."
        if sg.count > sg.map_count
        else "by joining the nearest groups: some are styles within one category."
    )
    return text + (
        f" The map shows **{_plural(sg.map_count, 'distinct group', 'distinct groups')}** (as do {halves}), but the "
        f"class holds {sg.size_units:.1f} categories' worth of images, so it is shown as **{sg.count} sub-groups** "
        f"(sizes {sizes}) " + how
    )


def classes_section(ev: Evidence) -> Section:
    from fmtwist_cli.views import grids

    s = Section("Each mystery class")
    if ev.collection is None:
        return s.add("No embeddings: run `fmtwist embed` to pick typical and borderline images and to find sub-groups.")
    intro = (
        "For each class: its most typical images (nearest the class's centre in the encoding), its most borderline "
        "ones (nearest another class's centre, where the network hesitates)"
    )
    s.add(
        intro
        + (
            ". Sub-groups need a map: run `fmtwist reduce --method tsne`."
            if ev.subgroups is None
            else _subgroups_intro(ev)
        )
    )
    for c in range(ev.n_classes):
        if c not in ev.picks:
            s.add(f"Class {c} has no images.")
            continue
        grid = [(how, ev.collection.images(rows)) for how, rows in ev.picks[c].items()]
        if ev.subgroups is not None:
            sg, members = ev.subgroups[c], ev.subgroup_rows[c]
            for j in range(sg.count):
                name = f"sub-group {j + 1}" + (
                    f"\n(mostly {ev.subgroup_names[c][j]})" if ev.subgroup_names is not None else ""
                )
                grid.append((name, ev.collection.images(members[sg.typical[j][:GRID_N]])))
        fig = grids.grid_figure(grid, f"Class {c}", GRID_N, dpi=DPI)
        caption = f"Class {c}: typical images (top row), borderline images (second row)" + (
            ", then the most typical images of each sub-group." if ev.subgroups is not None else "."
        )
        s.add(_class_text(ev, c), png(fig, f"class-{c}", caption))
    return s


def _agreement(ev: Evidence, c: int) -> str:
    """How the map's sub-groups compare with the categories the merge map names for class c."""
    cats, n = ev.members[c], ev.subgroups[c].map_count
    groups = _plural(n, "sub-group", "sub-groups")
    if n == len(cats):
        return f": the map shows {groups}, as many as the categories named — the two kinds of evidence agree."
    line = f": but the map shows {groups} for {_plural(len(cats), 'category', 'categories')} — they disagree"
    if n > len(cats):
        return line + ": one category falls apart in more than one group (styles within it)."
    named = ev.subgroup_names[c] if ev.subgroup_names is not None else []
    alone = [cat for cat in cats if cat not in named]
    if named and alone:
        one = len(alone) == 1
        line += (
            f": {' and '.join(alone)} {'has' if one else 'have'} no group of {'its' if one else 'their'} own on the map"
        )
    else:
        line += ": some categories look alike to the network and share one group"
    return line + " — the reference classifier tells apart what the encoding keeps together."


def guess_section(ev: Evidence) -> Section:
    s = Section("The guess")
    merge, k = ev.merge, ev.n_classes
    if merge is None:
        return s.add(reference_hint(ev.inputs.data) + ".")
    forced = f" {', '.join(CATEGORIES[j] for j in merge.forced)} had to move to a class that would otherwise be empty."
    s.add(
        f"A reference classifier ({literal(Path(ev.inputs.reference).name)}), trained on the 10 original Fashion-MNIST "
        "categories of the official training split and run through onnxruntime, names every test image. Each class is "
        "described by the categories its images are called (shares of the class's images; categories under 5 % left "
        "out):",
        Table(
            ["class", "images", "made of (reference classifier)"],
            [[c, int(ev.class_sizes[c]), guess.describe_mix(ev.shares[c])] for c in range(k)],
        ),
        "Read the other way, the images the classifier calls a category show which class that category was merged "
        "into: each category goes to the class holding most of them, and the confidence is that share (1.0: every "
        "image called this category has that label)." + (forced if merge.forced else ""),
        Table(
            ["category", "placed in class", "confidence"],
            [[CATEGORIES[j], int(merge.mapping[j]), f"{merge.confidence[j]:.2f}"] for j in range(len(CATEGORIES))],
        ),
    )
    if ev.balanced_sizes is not None:
        total = int(ev.class_sizes.sum())
        units = [round(x) for x in ev.balanced_sizes]
        agree = sum(n == len(ev.members[c]) for c, n in enumerate(units))
        s.add(
            "A third check, from sizes alone: Fashion-MNIST has as many images of every category "
            f"({total / len(CATEGORIES):,.0f} per category among these {total:,} test images), so a class's size "
            "counts its categories: "
            + ", ".join(f"class {c} holds {n}" for c, n in enumerate(units))
            + f". The merge map gives {agree} of {k} classes that many categories."
        )
    lines = []
    for c in range(k):
        cats = ev.members[c]
        line = f"- **Class {c} = {' + '.join(cats) if cats else '(no category)'}**"
        lines.append(line + (_agreement(ev, c) if ev.subgroups is not None else ""))
    return s.add("**The guess, stated plainly:**\n\n" + "\n".join(lines))


def score_section(ev: Evidence) -> Section | None:
    if ev.inputs.answer_key is None:
        return None
    s = Section("Scored against the answer key")
    if ev.score is None:
        return s.add("Nothing to score: " + reference_hint(ev.inputs.data) + ".")
    result = ev.score
    s.add(
        f"The answer key ({literal(ev.inputs.answer_key.get('twist', 'twist.json'))}) says which class each category "
        f"really went to. **{result['categories_right']} of 10 categories placed right.**",
        Table(
            ["category", "guessed class", "true class", "right?", "confidence"],
            [
                [r["category"], r["guess"], r["truth"], "yes" if r["right"] else "NO", f"{r['confidence']:.2f}"]
                for r in result["per_category"]
            ],
        ),
    )
    if "per_class" in result:
        total = result["classes_total"]
        s.add(
            f"**{result['subgroups_right']} of {total} classes have as many sub-groups as categories merged into "
            f"them** ({result['map_subgroups_right']} of {total} from the map alone, before the class sizes were "
            "counted).",
            Table(
                ["class", "sub-groups", "distinct groups on the map", "categories merged", "right?"],
                [
                    [r["class"], r["subgroups"], r["map_groups"], r["categories_merged"], "yes" if r["right"] else "NO"]
                    for r in result["per_class"]
                ],
            ),
        )
    return s


ANSWER = "The guess in short"  # the report's first section: the answer before the evidence


def answer_section(ev: Evidence) -> Section:
    """The answer first: each class's categories with their confidence, the score, and the explore page."""

    s = Section(ANSWER)
    merge = ev.merge
    if merge is None:
        s.add("No guess yet: " + reference_hint(ev.inputs.data) + ".")
    else:
        rows = []
        for c in range(ev.n_classes):
            placed = [f"{CATEGORIES[j]} ({merge.confidence[j]:.2f})" for j in range(len(CATEGORIES))]
            made_of = [placed[j] for j in range(len(CATEGORIES)) if merge.mapping[j] == c]
            rows.append([c, " + ".join(made_of) or "(no category)"])
        s.add(
            "Each mystery class, with the categories the reference classifier places in it and the confidence of "
            "each (the share of the images called that category that carry the class's label). How it was found, "
            "and what else supports it, follows below.",
            Table(["class", "made of (confidence)"], rows),
        )
    if ev.score is not None:
        score = ev.score
        text = f"**Scored against the answer key: {score['categories_right']} of 10 categories placed right"
        if "subgroups_right" in score:
            text += (
                f"; {score['subgroups_right']} of {score['classes_total']} classes show as many sub-groups as "
                "categories merged into them"
            )
        s.add(text + ".**")
    if ev.explore_page is not None:
        return s.add(
            Link("Check it yourself on the interactive map: ", ev.explore_page.name, ev.explore_page, " (offline).")
        )
    return s.add("Check it yourself: `fmtwist explore` makes an interactive map of every image (explore.html).")
