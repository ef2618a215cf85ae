"""`load_starter`, the trained models the lessons and exercises start from (documented path; it
lives in `kfunc_lessons.course.starters`)."""

from kfunc_lessons.course.starters import STARTERS, load_starter

__all__ = ["STARTERS", "load_starter"]
