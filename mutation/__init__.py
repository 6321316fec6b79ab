"""Mutation testing: does the suite fail when the code it guards is subtly broken?

`make mutation` runs mutmut over the clustering, refinement and publishing code
(configured in pyproject.toml) and `mutation.sql`, the hand-written SQL mutants of
the models. Neither is part of `make test`; CONTRIBUTING.md keeps their score.
"""
