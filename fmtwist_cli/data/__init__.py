"""Stage 1: the images and the twist (sources, twist, dataset)."""
