"""Peak memory of the running process, for benchmarks that run each contender in a child process."""

from __future__ import annotations

import resource

__all__ = ["peak_mb"]


def peak_mb() -> float:
    """This process's peak resident memory since it started, in MiB (``VmHWM``).

    Not ``ru_maxrss``: Linux carries the parent's high-water mark across fork and exec into the child,
    so a child started after its parent grew (e.g. by generating the input data) reports the
    parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
