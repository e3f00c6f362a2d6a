"""MCL: CL with the vision embedding pooled only inside the target's mask (box + 5 px, response + 1 bin)."""

from __future__ import annotations

from maxray_gen.learn.models.cl import ContrastiveHead


class MaskedContrastiveHead(ContrastiveHead):
    masked_vision = True
