# Site builds only (the MkDocs hook selects this profile): an expected error shows its type,
# its message and the notebook's own line, not library frames, and warnings show without the
# library file they came from, so no path of the build machine reaches a page. Jupyter and
# Colab keep their normal tracebacks.
import traceback
import warnings


def _short_traceback(shell, etype, value, tb, tb_offset=None):
    cell_frames = [frame for frame in traceback.extract_tb(tb)
                   if "ipykernel_" in frame.filename or frame.filename.startswith("<ipython")]
    lines = [f"In this cell, line {frame.lineno}: {frame.line}" for frame in cell_frames[-1:]]
    short = [*lines, f"{etype.__name__}: {value}"]
    shell._showtraceback(etype, value, short)  # IPython ignores what a handler returns
    return short


def _warning_without_path(message, category, filename, lineno, line=None):
    return f"{category.__name__}: {message}\n"


get_ipython().set_custom_exc((Exception,), _short_traceback)  # noqa: F821
warnings.formatwarning = _warning_without_path
