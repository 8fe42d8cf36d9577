"""MER Lessons: the helper package of a notebook-first course on music and multimodal
emotion recognition.

The notebooks explain and call; this package computes. Start with
``notebooks/00_welcome.ipynb``; ``python -m mer_lessons.course run`` executes the course.

Importing the package applies the course's CPU policy (:mod:`mer_lessons.cpu`): OpenMP
threads that sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``) and thread counts that
fit the CPUs this process may use, each only where you have not set the variable yourself.
Import ``mer_lessons`` before ``torch`` so that torch starts with it.
"""

import time as _time

#: ``time.monotonic()`` when the package was first imported: a notebook's first line, so the
#: report (:mod:`mer_lessons.report`) can state how long a chapter took to its measurements.
IMPORTED_AT = _time.monotonic()

# First, before anything imports NumPy or torch: their thread pools read these variables once.
from mer_lessons.cpu import apply_cpu_policy as _apply_cpu_policy  # noqa: E402

_apply_cpu_policy()

from mer_lessons import cpu  # noqa: E402  (the policy above must come first)
from mer_lessons.environment import data_dir, get_device, on_colab, set_seed, show_versions  # noqa: E402

__version__ = "0.1.0"

__all__ = ["__version__", "cpu", "data_dir", "get_device", "on_colab", "set_seed", "show_versions"]
