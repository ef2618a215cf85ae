"""Shared by the tests, the benchmarks and the scripts: learner-style models and the
grader suites (mutants, equivalents). Not part of the package; imports no test."""
