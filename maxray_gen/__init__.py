"""MaxRay-Gen: synthetic radio-visual data (Blender scenes, radio ray tracing, OFDM radar heatmaps)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("maxray-gen")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
