"""Radio propagation (Mitsuba 3 / Dr.Jit through Sionna RT). Import Mitsuba only via :mod:`.drjit_setup`."""
