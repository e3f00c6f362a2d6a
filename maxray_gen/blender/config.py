"""Configuration of Cycles rendering (the `render` section); plain data, no bpy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from maxray_gen.schema import StrictModel


class RenderConfig(StrictModel):
    """Cycles settings. GPU (OptiX, then CUDA) is used when present unless ``device: cpu``; ``optix`` or ``cuda``
    force one backend (the device check times both)."""

    # The default quality (6 samples, OIDN 'fast', since 2026-12-03) renders a 20-car 640x480 frame 22-27 % faster
    # than the previous default (8 samples, OIDN 'high') for 14-17 % more RMS error against a 64-sample render, hard
    # to see side by side (docs/performance.md, "Render time against image error"); it keeps such a frame under
    # 6 s on 2 CPU cores in every weather.
    samples: int = Field(6, ge=1, le=4096, description="Cycles samples per pixel (denoised)")
    denoise: bool = True
    denoise_quality: Literal["high", "balanced", "fast"] = Field(
        "fast", description="OpenImageDenoise quality: 'high' costs ~0.5 s more per 640x480 frame on 2 cores for "
                            "a few per cent less error against a converged render (docs/performance.md)")
    device: Literal["auto", "cpu", "gpu", "optix", "cuda"] = Field(
        "auto", description="auto (OptiX, then CUDA, else CPU), cpu, gpu (OptiX or CUDA, required), or one of optix / "
                            "cuda (required)")
    max_bounces: int = Field(3, ge=0, le=32)
    threads: int = Field(0, ge=0, le=1024, description="CPU threads (0: all)")
