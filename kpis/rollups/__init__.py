"""Per-day rollups of the history, kept exact as it arrives (see serving.py for when they serve).

models.py: the tables; specs.py: what each sums; build.py: rebuilding days set-based, the full
build's fill state; marks.py: the dirty days writes mark; serving.py: the rule and the reads.
"""
