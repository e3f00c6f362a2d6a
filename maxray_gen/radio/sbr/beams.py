"""Later bounces: physical optics integrated in closed form over the lit polygon of every bounce chain.

The tubes find which chains of facets a wave follows (radar -> facet A -> facet B -> ... -> radar); a chain's
geometry then gives its return exactly, whatever the tube size. Reflection off flat facets makes the wave at the
m-th facet a spherical wave from an image source (the radar mirrored in each earlier facet's plane, in turn), and
its lit region there is a convex polygon: the first facet, projected from the next image source onto the next
facet's plane and clipped by that triangle, and so on (Sutherland-Hodgman, one half-plane per edge). The PO current
of that wave is integrated over the polygon (a fan of triangles) with the closed-form triangle integral of
:mod:`maxray_gen.radio.sbr.facets` (exact vertex phases from the image source to the receiver) and radiated to the
receiver; the tubes that followed the chain give its polarisation (the Fresnel products so far), its Doppler and the
share of it whose way back to the receiver is clear (partial shadowing of the last leg). A chain whose beam cannot
be projected (an edge ray that never reaches the next plane) keeps its tubes' own returns.

What the tubes no longer set: the integral over each lit polygon. What they still set: which chains exist (a chain
no tube follows is missed: tubes must be finer than the smallest facet pair that matters) and the clear share of
the last leg.
"""

from __future__ import annotations

import numpy as np

from maxray_gen.radio.sbr.bounce import BeamHits, Contributions
from maxray_gen.radio.sbr.facets import CURVATURE_PHASE, Facets, View, radiate, refine

FULL_TUBES = 4.0
FULL_COVERAGE = 0.8


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-300)


def clip_half_plane(poly: np.ndarray, count: np.ndarray, a: np.ndarray, b: np.ndarray, normal: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Clip convex polygons (G, M, 3) with ``count`` vertices each, lying in planes of ``normal`` (G, 3), to the
    side of the line a -> b (G, 3) where (b - a) x (p - a) points along ``normal`` (the inside of a triangle
    listed counter-clockwise about its normal). Returns the clipped polygons (same M) and their counts."""
    g, m, _ = poly.shape
    rows = np.arange(g)
    inward = np.cross(normal, b - a)
    d = np.einsum("gmk,gk->gm", poly - a[:, None, :], inward)
    out = np.zeros_like(poly)
    ptr = np.zeros(g, np.int64)
    for i in range(int(count.max(initial=0))):
        active = i < count
        j = np.where(i + 1 < count, i + 1, 0)
        cur, nxt = poly[:, i], poly[rows, j]
        dc, dn = d[:, i], d[rows, j]
        keep = active & (dc >= 0)
        out[rows[keep], np.minimum(ptr[keep], m - 1)] = cur[keep]
        ptr += keep
        cross = active & ((dc >= 0) != (dn >= 0))
        t = dc / np.where(cross, dc - dn, 1.0)
        x = cur + t[:, None] * (nxt - cur)
        out[rows[cross], np.minimum(ptr[cross], m - 1)] = x[cross]
        ptr += cross
    return out, np.minimum(ptr, m)


def beam_test(image: np.ndarray, rx: np.ndarray, k: float, range_cap_m: float):
    """The :func:`~maxray_gen.radio.sbr.facets.refine` test of beam pieces (tag: their chain): split where the
    interpolated phase of the wave from the chain's image source to the receiver errs by more than
    ``CURVATURE_PHASE`` (k d^2 (1 / L + 1 / rho) / 8, d the longest edge) or where the piece's two-way path spreads
    over more than twice ``range_cap_m`` (it radiates from its centroid)."""
    def test(f: Facets):
        src = image[f.tag]
        edge = np.max(np.stack([np.linalg.norm(f.v1 - f.v0, axis=1), np.linalg.norm(f.v2 - f.v1, axis=1),
                                np.linalg.norm(f.v0 - f.v2, axis=1)]), axis=0)
        c = f.centroid
        L = np.linalg.norm(c - src, axis=1)
        rho = np.linalg.norm(c - rx, axis=1)
        path = [np.linalg.norm(v - src, axis=1) + np.linalg.norm(v - rx, axis=1) for v in (f.v0, f.v1, f.v2)]
        spread = np.max(path, axis=0) - np.min(path, axis=0)
        curved = k * edge ** 2 * (1 / np.maximum(L, 1e-6) + 1 / np.maximum(rho, 1e-6)) / 8 > CURVATURE_PHASE
        everything = np.ones(len(f), bool)
        return everything, everything, curved | (spread > 2 * range_cap_m)
    return test


def polygon_area(poly: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Areas of convex polygons (G, M, 3) with ``count`` vertices (fan from the first vertex)."""
    area = np.zeros(len(poly))
    for i in range(1, poly.shape[1] - 1):
        tri = np.linalg.norm(np.cross(poly[:, i] - poly[:, 0], poly[:, i + 1] - poly[:, 0]), axis=1) / 2
        area += np.where(i + 1 < count, tri, 0.0)
    return area


def coverage_weight(area: np.ndarray, footprint: np.ndarray, n_hits: np.ndarray) -> np.ndarray:
    """How much of a chain's lit polygon its tubes vouch for. With ``FULL_TUBES`` or more tubes expected on it
    (area / footprint), a chain is surely found: its polygon counts whole if the tubes cover at least
    ``FULL_COVERAGE`` of it (counting noise), else by their coverage (something blocks part of the beam). A smaller
    chain is found by chance, with probability about its expected tube count: weighting it by hits / expected
    (Horvitz-Thompson) keeps its mean contribution exact, as the tube sum did, with the polygon's exact phase."""
    expected = area / np.maximum(footprint, 1e-30)
    cover = n_hits / np.maximum(expected, 1e-30)
    big = expected >= FULL_TUBES
    return np.where(big, np.where(cover >= FULL_COVERAGE, 1.0, np.minimum(cover, 1.0)), cover)


def chain_polygons(chains: np.ndarray, vertices: np.ndarray, faces: np.ndarray, tx: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each chain of triangles (G, m + 1): the lit polygon on its last triangle (G, 3 + 3 m, 3) and vertex
    count, the image source of the wave there (G, 3), and whether the beam could be projected (every edge ray
    reaches the next plane beyond the previous facet)."""
    g, depth = chains.shape
    tri = vertices[faces[chains]]  # (G, m + 1, 3 vertices, 3)
    m_max = 3 + 3 * (depth - 1)
    poly = np.zeros((g, m_max, 3))
    poly[:, :3] = tri[:, 0]
    count = np.full(g, 3, np.int64)
    image = np.broadcast_to(np.asarray(tx, np.float64), (g, 3)).copy()
    ok = np.ones(g, bool)
    rows = np.arange(m_max)[None, :]
    for j in range(1, depth):
        prev = tri[:, j - 1]
        n_prev = _unit(np.cross(prev[:, 1] - prev[:, 0], prev[:, 2] - prev[:, 0]))
        image = image - 2 * np.einsum("gk,gk->g", image - prev[:, 0], n_prev)[:, None] * n_prev
        nxt = tri[:, j]
        normal = np.cross(nxt[:, 1] - nxt[:, 0], nxt[:, 2] - nxt[:, 0])
        ray = poly - image[:, None, :]
        denom = np.einsum("gmk,gk->gm", ray, normal)
        num = np.einsum("gk,gk->g", nxt[:, 0] - image, normal)
        live = rows < count[:, None]
        t = num[:, None] / np.where(np.abs(denom) > 1e-300, denom, np.nan)
        ok &= np.all(~live | (np.isfinite(t) & (t >= 1.0 - 1e-6)), axis=1)
        poly = np.where(live[..., None], image[:, None, :] + np.nan_to_num(t)[..., None] * ray, 0.0)
        for e in range(3):
            poly, count = clip_half_plane(poly, count, nxt[:, e], nxt[:, (e + 1) % 3], normal)
    return poly, count, image, ok & (count >= 3)


def beam_returns(es, hits: list[BeamHits], view: View, up: np.ndarray, k: float, wavelength_m: float, depth: int
                 ) -> Contributions:
    """The returns of every later bounce (see the module docstring), one list of :class:`BeamHits` per depth."""
    parts = []
    for h in hits:
        chains, first, inv = np.unique(h.chain, axis=0, return_index=True, return_inverse=True)
        inv = inv.ravel()
        g = len(chains)
        n_hits = np.bincount(inv, minlength=g).astype(np.float64)
        clear = np.bincount(inv, h.clear, g) / n_hits
        pol = np.stack([np.bincount(inv, h.polarisation[:, i].real, g) + 1j * np.bincount(
            inv, h.polarisation[:, i].imag, g) for i in range(3)], axis=1) / n_hits[:, None]
        dldt = np.bincount(inv, h.tube_return.dldt, g) / n_hits
        footprint = np.bincount(inv, h.footprint_m2, g) / n_hits
        poly, count, image, ok = chain_polygons(chains, es.vertices_np, es.faces_np, view.tx)
        ok &= clear > 0
        weight = coverage_weight(polygon_area(poly, count), footprint, n_hits) * clear
        # chains whose beam could not be projected keep their tubes' returns
        fallback = ~ok[inv] & h.clear
        if fallback.any():
            t = h.tube_return
            parts.append(Contributions(t.amplitude[fallback], t.length_m[fallback], t.dldt[fallback],
                                       t.point[fallback], t.aod[fallback], t.objects[fallback]))
        sel = np.flatnonzero(ok)
        if len(sel) == 0:
            continue
        # fan triangles (p0, p_i, p_i+1) of every lit polygon
        grp, v1, v2 = [], [], []
        for i in range(1, poly.shape[1] - 1):
            use = sel[i + 1 < count[sel]]
            grp.append(use)
            v1.append(poly[use, i])
            v2.append(poly[use, i + 1])
        grp = np.concatenate(grp)
        last = chains[grp, -1]
        f = Facets(poly[grp, 0], np.concatenate(v1), np.concatenate(v2), last, es.tri_obj_np[last], grp)
        f = refine(f, beam_test(image, view.rx, k, view.range_cap_m))
        grp = f.tag
        out = radiate(es, f, view, up, k, wavelength_m, source=image[grp], polarisation=pol[grp],
                      visibility=False)
        parts.append(Contributions(out["amplitude"] * weight[grp], out["length"], dldt[grp], out["point"],
                                   h.tube_return.aod[first[grp]], h.tube_return.objects[first[grp]]))
    return Contributions.concatenate(parts, depth)
