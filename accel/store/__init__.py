"""Workdirs on disk: numbering new jobs, finding finished ones by identity, locks.

The job directories are the truth. Everything kept under `<workdir>/.accel/` (the next
number, the identity index) is a hint that can be rebuilt from them at any time.
"""

from accel.store.index import Index
from accel.store.running import Running, RunningJob
from accel.store.store import Store
from accel.store.workdir import Workdir

__all__ = ["Index", "Running", "RunningJob", "Store", "Workdir"]
