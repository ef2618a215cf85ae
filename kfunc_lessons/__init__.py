"""kfunc_lessons: graders and helpers for learning the Keras Functional API.

```python
import kfunc_lessons as kl

kl.list_exercises()
result = kl.check("residual_add", model)
kl.hint("residual_add", level=1)
kl.solution("residual_add")
```
"""

from __future__ import annotations

from kfunc_lessons.api import check, compare, hint, list_exercises, solution
from kfunc_lessons.environment import environment_report
from kfunc_lessons.result import CheckResult
from kfunc_lessons.starters import load_starter

__all__ = [
    "CheckResult",
    "check",
    "compare",
    "environment_report",
    "hint",
    "list_exercises",
    "load_starter",
    "solution",
]
__version__ = "0.1.0"
