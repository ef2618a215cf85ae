"""kfunc_lessons: graders and helpers for learning the Keras Functional API.

```python
import kfunc_lessons as kl

kl.list_exercises()
result = kl.check("residual_add", model)
kl.hint("residual_add", level=1)
kl.solution("residual_add")
```

The public names load on first use, so that the command line can quiet the backend's
start-up before Keras is imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kfunc_lessons.api import check, compare, hint, list_exercises, solution
    from kfunc_lessons.core.environment import environment_report, plot_model
    from kfunc_lessons.core.result import CheckResult
    from kfunc_lessons.course.starters import load_starter

_EXPORTS = {
    "check": "kfunc_lessons.api",
    "compare": "kfunc_lessons.api",
    "hint": "kfunc_lessons.api",
    "list_exercises": "kfunc_lessons.api",
    "solution": "kfunc_lessons.api",
    "environment_report": "kfunc_lessons.core.environment",
    "plot_model": "kfunc_lessons.core.environment",
    "CheckResult": "kfunc_lessons.core.result",
    "load_starter": "kfunc_lessons.course.starters",
}
__all__ = [
    "CheckResult",
    "check",
    "compare",
    "environment_report",
    "hint",
    "list_exercises",
    "load_starter",
    "plot_model",
    "solution",
]
# The one version source (pyproject reads it). On main between releases it ends in ".devN",
# and the notebooks install from the repository; a release sets X.Y.Z and they pin it.
__version__ = "0.2.0.dev0"


def __getattr__(name: str):
    if name in _EXPORTS:
        from kfunc_lessons.core.compatibility import require_supported_versions

        require_supported_versions()
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kfunc_lessons' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
