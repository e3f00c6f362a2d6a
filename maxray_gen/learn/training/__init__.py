"""Training: radio-visual self-supervision (`maxray train ssl`) and the radio localiser."""
