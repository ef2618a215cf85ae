"""Imported once, by the server that learners' processes are forked from (and by nothing
else): it becomes their subreaper, so that every process a learner's code starts, however
it detaches itself, stays its descendant and is ended by `isolation.sweep`."""

import warnings

from kfunc_lessons.classroom.sandbox import become_subreaper

become_subreaper()
# The server reaps the orphans it adopts; its loop warns about each pid it did not fork.
warnings.filterwarnings("ignore", message="forkserver: waitpid returned unexpected pid")
