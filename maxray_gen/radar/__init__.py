"""OFDM radar model: parameters, path lists, channel synthesis, periodograms, beamforming, CFAR, groundtruth."""

from maxray_gen.radar.config import ArrayConfig, NoiseConfig, RadarConfig, RadarConfigWarning
from maxray_gen.radar.paths import PathSet

__all__ = ["ArrayConfig", "NoiseConfig", "PathSet", "RadarConfig", "RadarConfigWarning"]
