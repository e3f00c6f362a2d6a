"""Physical constants (SI units) shared by every stage, so tracer and radar model agree exactly."""

from scipy import constants as _c

SPEED_OF_LIGHT: float = _c.c  #: m/s, exact (299 792 458)
BOLTZMANN: float = _c.k  #: J/K
