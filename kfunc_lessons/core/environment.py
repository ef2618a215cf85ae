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
