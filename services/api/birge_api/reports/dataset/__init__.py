"""The evaluator's dataset: row-level answers under re-keyed numbers, with a codebook."""
