"""The networks: spatial backbones, the method heads (CL, MCL, SCL) behind one interface, the radio-visual model."""
