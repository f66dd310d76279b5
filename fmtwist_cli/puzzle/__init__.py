"""Stage 6: the puzzle (a guess, its grade, sub-groups within a class)."""
