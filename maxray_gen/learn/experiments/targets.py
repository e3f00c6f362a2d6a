"""Issue 32's acceptance targets, measured on the final (test) split of the headline scene set by ``maxray
reproduce`` and extrapolated to by its learning curves."""

TARGET_RIGHT_CAR = 0.70  # SCL's right-car rate
TARGET_RIGHT_CAR_MARGIN = 0.20  # ... and its lead over the no-learning radar peak's
TARGET_FOOTPRINT_M = 0.5  # SCL's median distance to the target's footprint
TARGET_CENTROID_M = 1.0  # ... and to the target's echo centroid
TARGET_LOCALISER_RATIO = 1.5  # localiser on SCL labels / on groundtruth, distance to the echo centroid
TARGET_RIGHT_CAR_GAP = 0.10  # ... and the right-car rates at most this far apart
