"""Per-facet physical optics (radio/sbr/facets.py) and the beam integral of later bounces (radio/sbr/beams.py).

Oracles: quadrature of the triangle integral, exact areas of refined and clipped polygons, closed-form RCS at the
dataset's default trace settings (where the tube-sampled 1.0 engine is off by 2 dB on a sphere), independence of
the tube size, and the tube engine at 0.5 cm tubes for large corner reflectors in the near field.
"""

import numpy as np
import pytest

from maxray_gen.geometry import Pose
from maxray_gen.radio import rcs
from maxray_gen.radio.config import TraceConfig
from maxray_gen.radio.sbr import beams, facets
from maxray_gen.radio.sbr.engine import ENGINE_HISTORY, engine_version
from maxray_gen.radio.tracer import RadarTracer
from tests.conftest import make_config

RADAR = make_config(noise={"model": "none"})
LAM = RADAR.wavelength_m
K = 2 * np.pi / LAM


def db(x):
    return 10 * np.log10(x)


def quadrature(v, phase, n=300):
    """Midpoint rule on n^2 sub-triangles of int_T exp(-j phase(r)) dS."""
    pts, w = [], []
    for i in range(n):
        for j in range(n - i):
            for tri in (((i, j), (i + 1, j), (i, j + 1)), ((i + 1, j), (i + 1, j + 1), (i, j + 1))):
                if tri[0] == (i + 1, j) and i + j > n - 2:
                    continue
                b = np.mean([[a / n, c / n, 1 - (a + c) / n] for a, c in tri], axis=0)
                pts.append(b @ v)
    pts = np.array(pts)
    area = np.linalg.norm(np.cross(v[1] - v[0], v[2] - v[0])) / 2
    return np.exp(-1j * phase(pts)).sum() * area / len(pts)


@pytest.mark.parametrize("scale", [0.0, 0.3, 3.0, 40.0])
def test_triangle_integral_of_a_linear_phase_matches_quadrature(scale):
    rng = np.random.default_rng(1)
    v = rng.normal(size=(3, 3)) * 0.05
    w = rng.normal(size=3) * scale / 0.05
    re, im = facets.simplex_exp(*(-(v[i] @ w) for i in range(3)))
    area2 = np.linalg.norm(np.cross(v[1] - v[0], v[2] - v[0]))
    got = area2 * (re + 1j * im)
    want = quadrature(v, lambda p: p @ w)
    assert abs(got - want) <= 2e-3 * abs(want) + 1e-12, (got, want)


def test_simplex_exp_is_accurate_at_coincident_phases_and_on_dr_jit():
    # exp[j x, j x, j x] = e^{jx} / 2; two equal phases; the Taylor / closed-form seam at a spread of 1.5 rad
    re, im = facets.simplex_exp(5.0, 5.0, 5.0)
    assert re + 1j * im == pytest.approx(np.exp(5j) / 2, abs=1e-12)
    a, b = facets.simplex_exp(np.array([0.0, 0.0]), np.array([3.0, 3.0]), np.array([3.0, 3.0 + 1e-7]))
    assert a[0] == pytest.approx(a[1], abs=1e-7) and b[0] == pytest.approx(b[1], abs=1e-7)
    seam = np.array([1.5 - 1e-9, 1.5 + 1e-9])
    a, b = facets.simplex_exp(np.zeros(2), 0.4 * seam, seam)
    assert a[0] == pytest.approx(a[1], abs=1e-9) and b[0] == pytest.approx(b[1], abs=1e-9)
    # the engine evaluates the same function with Dr.Jit (float32)
    from maxray_gen.radio.drjit_setup import import_mitsuba

    mi = import_mitsuba("auto")
    x = np.random.default_rng(2).uniform(-20, 20, size=(3, 200))
    x[:, :50] *= 0.01
    want = facets.simplex_exp(*x)
    got = facets.simplex_exp(*(mi.Float(xi.astype(np.float32)) for xi in x), xp=facets.drjit_backend())
    for g, w in zip(got, want):
        assert np.abs(np.asarray(g.numpy()) - w).max() < 1e-5


def needle(length=26.0, height=0.15, y=8.0):
    """A kerb-like triangle: 26 m long, 15 cm high, facing the radar at the origin (8 m away)."""
    v0, v1, v2 = np.array([[-length / 2, y, 0.0]]), np.array([[length / 2, y, 0.0]]), np.array([[length / 2, y, height]])
    return facets.Facets(v0, v1, v2, np.array([7]), np.array([3]), np.array([0]))


def view(range_cap=0.09, angle_cap=np.radians(3.0)):
    pose = Pose.look_at([0.0, 0.0, 1.0], [0.0, 10.0, 1.0])
    return facets.View(pose.position, pose.position, pose, 40.0, np.radians(90.0), np.radians(60.0), range_cap,
                       angle_cap)


def area(f):
    return float(np.linalg.norm(np.cross(f.v1 - f.v0, f.v2 - f.v0), axis=1).sum() / 2)


def test_refinement_preserves_area_and_splits_a_kerb_along_its_length():
    f = needle()
    out = facets.refine(f, facets.view_test(view(), K, 0.1))
    assert area(out) == pytest.approx(area(f), rel=1e-12)
    assert (out.triangle == 7).all() and (out.obj == 3).all()
    tall = facets.refine(needle(height=0.6), facets.view_test(view(), K, 0.1))
    assert len(tall) < 2 * len(out)  # 4x the area, not 4x the pieces: split along the length only
    edges = np.linalg.norm(out.v1 - out.v0, axis=1)
    cols = lambda a: (a[:, 0], a[:, 1], a[:, 2])  # noqa: E731
    _, sees, split = facets.classify(cols(out.v0), cols(out.v1), cols(out.v2), view(), K, 0.1)
    assert not split.any() and sees.all()
    # near its specular point (the foot of the perpendicular from the radar: x = 0) the pieces are finest
    x = out.centroid[:, 0]
    assert np.median(edges[np.abs(x) < 0.3]) < np.median(edges[np.abs(x) > 5])


def test_clipping_and_the_beam_polygons_of_a_dihedral():
    square = np.array([[[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]], float)
    out, n = beams.clip_half_plane(square, np.array([4]), np.array([[0.5, 1, 0]]), np.array([[0.5, 0, 0]]),
                                   np.array([[0, 0, 1.0]]))
    assert n[0] == 4 and beams.polygon_area(out, n)[0] == pytest.approx(0.5)
    # a 90 deg dihedral at broadside: each plate's reflection covers the other plate exactly once, so the lit
    # polygons of all (triangle of A, triangle of B) chains add up to B's area
    v, f = rcs.dihedral_mesh(0.4, 0.3)
    v = v + [0.0, 10.0, 0.0]
    a_tris, b_tris = [0, 1], [2, 3]
    chains = np.array([[i, j] for i in a_tris for j in b_tris] + [[j, i] for i in a_tris for j in b_tris])
    poly, count, image, ok = beams.chain_polygons(chains, v, f, np.zeros(3))
    assert ok.all()
    areas = beams.polygon_area(poly, count)
    assert areas[:4].sum() == pytest.approx(0.4 * 0.3, rel=1e-9)
    assert areas[4:].sum() == pytest.approx(0.4 * 0.3, rel=1e-9)
    # the image source of the second bounce is the radar mirrored in plate A's plane
    n_a = np.cross(v[f[0, 1]] - v[f[0, 0]], v[f[0, 2]] - v[f[0, 0]])
    n_a /= np.linalg.norm(n_a)
    mirrored = -2 * np.dot(-v[f[0, 0]], n_a) * n_a
    assert image[0] == pytest.approx(mirrored, abs=1e-9)


def sphere_error_db(po_integration, radius, spacing="auto"):
    tr = rcs.rcs_tracer(RADAR, TraceConfig(po_integration=po_integration, ray_spacing_m=spacing), 15.0)
    got = rcs.sweep(tr, "sphere", radius, np.array([0.0]), 15.0).rcs_m2[0]
    return db(got) - db(rcs.sphere_rcs(radius, 15.0))


def test_spheres_are_exact_at_the_default_tubes_where_tube_sampling_is_not():
    assert abs(sphere_error_db("facet", 0.1)) < 0.2
    assert abs(sphere_error_db("facet", 0.5)) < 0.3
    # the same sphere, tubes twice as coarse: the facet integral does not depend on them
    assert sphere_error_db("facet", 0.5, 0.04) == pytest.approx(sphere_error_db("facet", 0.5), abs=1e-6)
    # the sbr-po 1.0 engine (PO sampled by the 2 cm tubes) misses the 0.5 m sphere by 2 dB
    assert sphere_error_db("tube", 0.5) > 1.5


@pytest.mark.parametrize("shape", ["dihedral", "trihedral"])
def test_beam_integral_of_large_corners_in_the_near_field(shape):
    # 1 m corner reflectors at 15 m (far field beyond 400 m): the beam integral gives the same RCS with 4 cm and
    # 2 cm tubes, and agrees with the tube engine at 0.5 cm tubes (converged there within 0.5 dB)
    aspects = np.radians([0.0, 20.0])

    def sweep(spacing, **kw):
        tr = rcs.rcs_tracer(RADAR, TraceConfig(ray_spacing_m=spacing, **kw), 15.0)
        return rcs.sweep(tr, shape, 1.0, aspects, 15.0).rcs_dbsm

    coarse = sweep(0.04, later_bounces="beam")
    default = sweep(0.02, later_bounces="beam")
    fine_tubes = sweep(0.005, po_integration="tube")
    assert np.abs(coarse - default).max() < 0.1
    assert np.abs(default - fine_tubes).max() < 1.0, (default, fine_tubes)


def test_shards_record_how_the_integral_was_evaluated():
    assert engine_version(TraceConfig()) == "sbr-po 2.0 facet"
    assert engine_version(TraceConfig(po_integration="tube")) == "sbr-po 2.0 tube"
    assert engine_version(TraceConfig(later_bounces="beam")) == "sbr-po 2.0 facet+beam"
    for name in ("sbr-po 1.0", "sbr-po 2.0 facet", "sbr-po 2.0 tube", "sbr-po 2.0 facet+beam"):
        assert name in ENGINE_HISTORY
    from maxray_gen.dataset.inspect import describe_engine

    assert "sampled by the ray tubes" in describe_engine("sbr-po 1.0")
    assert describe_engine("sionna-rt 1.2") == "sionna-rt 1.2"


def test_moving_facets_carry_their_doppler():
    snap = rcs.target_snapshot([("metal", rcs.sphere_mesh(0.2))], 12.0, 0.0)
    snap = snap.replace_objects([o.moved((0, 0, 0), velocity=(0.0, -4.0, 0.0)) for o in snap.objects])
    paths = RadarTracer(RADAR, TraceConfig(ground_clutter=False)).trace(snap, np.random.default_rng(0))
    strongest = np.argmax(np.abs(paths.gain))
    assert paths.doppler_hz[strongest] == pytest.approx(2 * 4.0 / LAM, rel=1e-3)
