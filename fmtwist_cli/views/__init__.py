"""Views of any stage: image grids, figures, the terminal's half blocks."""
