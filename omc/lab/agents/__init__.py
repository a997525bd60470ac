"""The graph's stages, one module each: planner, retrieval, analyst, trainer, evaluator,
reporter, and the gates where a person approves."""
