"""What a notebook runs on: Keras version, backend, and whether a GPU is in use."""

from __future__ import annotations

import keras


def gpu_devices() -> list[str]:
    """Names of the GPUs the active Keras backend can use (empty on a CPU)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def environment_report() -> str:
    """One line per fact: Keras version, backend, and the GPU in use (or CPU)."""
    gpus = gpu_devices()
    device = f"GPU ({', '.join(gpus)})" if gpus else "CPU only (no GPU visible)"
    return (f"Keras {keras.__version__}\nbackend: {keras.backend.backend()}\n"
            f"device: {device}")


def plot_model(model: keras.Model, to_file: str = "model.png", **kwargs):
    """`keras.utils.plot_model`, except where Graphviz (or pydot) is missing: then it prints
    one line saying how to get the diagram and returns None, so a lesson goes on. (Keras
    itself prints that line only in kernels that loaded IPython's magics, and raises
    ImportError elsewhere, such as a plain Jupyter kernel on a learner's machine.)"""
    try:
        return keras.utils.plot_model(model, to_file=to_file, **kwargs)
    except ImportError as missing:
        print(f"No diagram here: {missing} The lesson goes on without it.")
        return None
