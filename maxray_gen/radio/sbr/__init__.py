"""SBR + physical-optics radar scattering engine on Mitsuba 3 / Dr.Jit (see engine.py)."""
