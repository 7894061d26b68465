"""What this machine offers a run: its memory, its cores, its GPUs and whether bfloat16 is faster.

Light to import: TensorFlow loads only when asked about GPUs.
"""
import os
from pathlib import Path

from painter.startup import quiet_native_stderr


def available_memory():
    """Bytes of memory free for this run (MemAvailable on Linux, else all of it)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def usable_cores():
    """The cores this process may use: what taskset or a container leaves it."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def local_gpus():
    """How many GPUs TensorFlow sees here (0 without CUDA). It loads TensorFlow (seconds)."""
    with quiet_native_stderr():  # TensorFlow's start-up notices; without a GPU, CUDA's too
        import tensorflow as tf
        return len(tf.config.list_physical_devices("GPU"))


def bfloat16_is_faster():
    """True where VGG16's convolutions run faster in bfloat16: a GPU, or a CPU with AVX512_BF16
    or AMX (Linux says so in /proc/cpuinfo; elsewhere we keep float32)."""
    if local_gpus():
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
