"""`CheckResult`, the verdict `kfunc_lessons.check()` returns (documented path; it lives in
`kfunc_lessons.core.result`)."""

from kfunc_lessons.core.result import CheckResult

__all__ = ["CheckResult"]
