"""The styling world's semantics: the executor, goals, teacher, oracle, judge and the reading of instructions."""
