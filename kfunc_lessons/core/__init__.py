"""The grading core: judges a model against any reference, and knows no exercise.

A model becomes a canonical graph (`graph`, read through `keras_graph`), is matched against the
reference's (`matching`), run on a probe batch (`execute`), and `engine` turns the first
difference into a `result.CheckResult` worded by `describe`, with a `picture` of it. What a
course insists on beyond the computation arrives as data (`engine.Rules`).
"""
