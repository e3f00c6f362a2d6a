"""Learning building blocks: shapes, strides, losses by hand, queues, masks, peaks, grid mapping, metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from maxray_gen.learn.experiments.analyses import covariance_spectra, effective_rank, rf_blur  # noqa: E402
from maxray_gen.learn.models.backbones import SpatialBackbone  # noqa: E402
from maxray_gen.learn.config import BackboneConfig, InputConfig, LocaliserConfig, SSLConfig  # noqa: E402
from maxray_gen.learn.experiments.evaluate import localisation_errors  # noqa: E402
from maxray_gen.learn.data.inputs import (RadioInput, cartesian_to_polar, feature_shape, normalise_heatmap,  # noqa: E402
                                     polar_to_cartesian, valid_feature_mask)
from maxray_gen.learn.training.localiser import LocaliserNet  # noqa: E402
from maxray_gen.learn.models.losses import (attention_maps, bidirectional_ce, correspondence_scores, info_nce,  # noqa: E402
                                     two_queue_info_nce)
from maxray_gen.learn.models.masks import box_feature_mask, box_pixel_mask, masked_mean  # noqa: E402
from maxray_gen.learn.models.queues import EmbeddingQueue  # noqa: E402
from maxray_gen.learn.experiments.selflabels import find_peaks  # noqa: E402

SMALL = BackboneConfig(width=0.0625, out_channels=16)


def test_backbone_gives_128x60x80_for_480x640_and_stride_8_for_any_size():
    net = SpatialBackbone(3, BackboneConfig(width=0.0625))
    assert net(torch.zeros(1, 3, 480, 640)).shape == (1, 128, 60, 80)
    radio = SpatialBackbone(1, SMALL)
    for h, w in ((40, 64), (37, 50), (134, 128), (8, 8)):
        assert radio(torch.zeros(2, 1, h, w)).shape == (2, 16, *feature_shape((h, w)))
    assert feature_shape((37, 50)) == (5, 7)


def test_backbone_default_width_is_vgg_m():
    net = SpatialBackbone(3)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 256, 512, 512, 128]
    assert [c.kernel_size[0] for c in convs] == [7, 5, 3, 3, 3]
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in net.modules())


@pytest.mark.parametrize("local,extent", [(False, 77), (True, 29)])
def test_radio_receptive_field_is_77_pixels_wide_or_29_local(local, extent):
    """The input pixels a feature bin depends on (non-zero gradient), measured: the paper's backbone sees 77 x 77,
    the local radio encoder (``backbone.radio_field: local``) 29 x 29."""
    torch.manual_seed(0)
    net = SpatialBackbone(1, SMALL, local=local).double()
    x = torch.randn(4, 1, 160, 160, dtype=torch.double, requires_grad=True)
    f = net(x)
    f[:, :, 10, 10].pow(2).sum().backward()  # an interior bin (far from the padding)
    rows, cols = np.nonzero(x.grad.abs().sum(dim=(0, 1)).numpy())
    assert rows.max() - rows.min() + 1 == extent and cols.max() - cols.min() + 1 == extent
    assert net.receptive_field == extent  # the figure the echo refinement of self-labels uses
    assert rows.min() + rows.max() == pytest.approx(2 * 8 * 10 + 7, abs=1)  # centred on the bin's pixels 80..87


def test_info_nce_by_hand():
    q = torch.tensor([[1.0, 0.0]])
    k = torch.tensor([[1.0, 0.0]])
    neg = torch.tensor([[0.0, 1.0], [-1.0, 0.0]])
    tau = 0.5
    # logits: [1/tau, 0/tau, -1/tau] = [2, 0, -2]; loss = -log(e^2 / (e^2 + 1 + e^-2))
    expected = -math.log(math.exp(2) / (math.exp(2) + 1 + math.exp(-2)))
    assert float(info_nce(q, k, neg, tau)) == pytest.approx(expected, rel=1e-6)
    z_r, z_v = torch.tensor([[0.6, 0.8]]), torch.tensor([[1.0, 0.0]])
    both = two_queue_info_nce(z_r, z_v, z_r, z_v, neg, neg, tau)
    l_rv = -math.log(math.exp(0.6 / tau) / (math.exp(0.6 / tau) + math.exp(0.8 / tau) + math.exp(-0.6 / tau)))
    l_vr = -math.log(math.exp(0.6 / tau) / (math.exp(0.6 / tau) + math.exp(0.0) + math.exp(-1.0 / tau)))
    assert float(both) == pytest.approx(0.5 * (l_rv + l_vr), rel=1e-6)


def test_scl_score_is_the_max_of_the_attention_map_and_ce_by_hand():
    g = torch.Generator().manual_seed(0)
    z_v, f_r = torch.randn(3, 4, generator=g), torch.randn(3, 4, 2, 5, generator=g)
    a = attention_maps(z_v, f_r)
    s = correspondence_scores(z_v, f_r)
    assert s.shape == (3, 3)
    for r in range(3):
        for v in range(3):
            cos = torch.nn.functional.cosine_similarity(z_v[v][:, None, None], f_r[r], dim=0)
            assert torch.allclose(a[r, v], cos, atol=1e-6)
            assert float(s[r, v]) == pytest.approx(float(cos.max()), abs=1e-6)
    valid = torch.zeros(2, 5, dtype=torch.bool)
    valid[0, 0] = True
    assert torch.allclose(correspondence_scores(z_v, f_r, valid), a[:, :, 0, 0])
    scores = torch.tensor([[0.9, 0.1], [0.2, 0.5]])
    t = 0.1
    row = [-math.log(math.exp(9) / (math.exp(9) + math.exp(1))), -math.log(math.exp(5) / (math.exp(2) + math.exp(5)))]
    col = [-math.log(math.exp(9) / (math.exp(9) + math.exp(2))), -math.log(math.exp(5) / (math.exp(1) + math.exp(5)))]
    assert float(bidirectional_ce(scores, t)) == pytest.approx(0.5 * (np.mean(row) + np.mean(col)), rel=1e-5)


def test_queue_is_fifo_with_wraparound():
    q = EmbeddingQueue(4, 2, seed=0)
    assert torch.allclose(q.items.norm(dim=1), torch.ones(4))
    a = torch.arange(6.0).reshape(3, 2)
    q.enqueue(a)
    assert torch.equal(q.items[:3], a) and int(q.ptr) == 3
    b = torch.arange(6.0, 12.0).reshape(3, 2)
    q.enqueue(b)  # rows 3, 0, 1
    assert torch.equal(q.items, torch.stack([b[1], b[2], a[2], b[0]])) and int(q.ptr) == 2
    q.enqueue(torch.arange(100.0, 112.0).reshape(6, 2))  # larger than the queue: keeps the last 4
    assert set(q.items[:, 0].tolist()) == {104.0, 106.0, 108.0, 110.0}
    assert "items" in q.state_dict() and "ptr" in q.state_dict()


def test_box_mask_padding_in_pixels_then_features():
    box = torch.tensor([[20.0, 20.0, 28.0, 28.0]])  # cells x,y in [2, 3] (pixels 16..31)
    m0 = box_feature_mask(box, (8, 8), 8, pad_px=0, pad_features=0)
    assert m0[0].nonzero().tolist() == [[2, 2], [2, 3], [3, 2], [3, 3]]
    m5 = box_feature_mask(box, (8, 8), 8, pad_px=5, pad_features=0)  # 15..33 -> cells 1..4
    rows, cols = m5[0].nonzero().T
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (1, 4, 1, 4)
    m = box_feature_mask(box, (8, 8), 8, pad_px=5, pad_features=1)  # + 1 cell each side
    rows, cols = m[0].nonzero().T
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (0, 5, 0, 5) and int(m.sum()) == 36
    nan = box_feature_mask(torch.full((1, 4), float("nan")), (8, 8), 8, image_hw=(40, 64))
    assert int(nan.sum()) == 5 * 8
    f = torch.arange(2 * 1 * 2 * 2, dtype=torch.float32).reshape(2, 1, 2, 2)
    mask = torch.tensor([[[True, False], [False, True]], [[False, False], [True, False]]])
    assert masked_mean(f, mask).flatten().tolist() == [1.5, 6.0]


def test_peaks_with_non_maximum_suppression():
    yy, xx = np.mgrid[0:40, 0:64]
    bump = lambda r, c, a: a * np.exp(-((yy - r) ** 2 + (xx - c) ** 2) / 8.0)  # noqa: E731
    m = bump(10, 10, 1.0) + bump(30, 50, 0.8) + bump(11, 12, 0.3) + bump(30, 20, 0.5)
    p = find_peaks(m, k=3, min_distance=(4, 4))
    assert p[:, :2].tolist() == [[10, 10], [30, 50], [30, 20]]
    assert find_peaks(m, k=3, min_distance=(4, 4), rel_threshold=0.6).shape == (2, 3)
    assert find_peaks(np.full((3, 3), -np.inf), k=2).shape == (0, 3)


@pytest.mark.parametrize("size", [None, (160, 256), (37, 50)])
def test_bins_features_range_azimuth_round_trips(size):
    axes = {"range_m": 5 + 0.375 * np.arange(40), "azimuth_rad": np.linspace(-0.94, 0.94, 64)}
    radio = RadioInput.from_axes(axes, InputConfig(radio_size=size))
    ni, nj = np.array([0.0, 7.3, 39.0]), np.array([0.0, 31.5, 63.0])
    fi, fj = radio.native_to_feature(ni, nj)
    assert np.allclose(radio.feature_to_native(fi, fj), (ni, nj))
    r, a = radio.bins_to_polar(ni, nj)
    assert np.allclose(r, 5 + 0.375 * ni) and np.allclose(radio.polar_to_bins(r, a), (ni, nj))
    x, y = polar_to_cartesian(r, a)
    assert np.allclose(cartesian_to_polar(x, y), (r, a))
    # a one-hot feature cell lands where feature_to_native says, on the native grid
    h, w = feature_shape(radio.size)
    for ci, cj in ((1, 2), (h - 2, w - 3)):
        onehot = torch.zeros(1, h, w)
        onehot[0, ci, cj] = 1.0
        native = radio.to_native(onehot)[0].numpy()
        assert native.shape == radio.native
        peak = np.unravel_index(np.argmax(native), native.shape)
        ti, tj = radio.feature_to_native(ci, cj)
        assert abs(peak[0] - ti) <= 1.0 and abs(peak[1] - tj) <= 1.0


def test_range_profile_makes_maps_that_differ_by_clutter_level_per_range_identical():
    """``radio_range_profile``: two maps with the same echoes on clutter whose level per range differs (weather)
    become the same input, and the echo stays the input's maximum; without it they differ."""
    rng = np.random.default_rng(3)
    axes = {"range_m": 5 + 0.375 * np.arange(40), "azimuth_rad": np.linspace(-0.94, 0.94, 64)}
    clutter = rng.exponential(1.0, (40, 64))
    clutter[25, 40] = 300.0  # a car's echo
    level = np.exp(rng.normal(0, 1.5, (40, 1)))  # wet/snowy ground: another level at every range
    a, b = (torch.from_numpy(m).float()[None, None] for m in (clutter, clutter * level))
    cfg_on, cfg_off = InputConfig(radio_range_profile=True, radio_reference="peak"), InputConfig(radio_reference="peak")
    on, off = RadioInput.from_axes(axes, cfg_on), RadioInput.from_axes(axes, cfg_off)
    xa, xb = on.prepare(a, cfg_on), on.prepare(b, cfg_on)
    assert torch.allclose(xa, xb, atol=1e-5)
    assert np.unravel_index(int(xa[0, 0, :40, :64].argmax()), (40, 64)) == (25, 40)
    assert not torch.allclose(off.prepare(a, cfg_off), off.prepare(b, cfg_off), atol=1e-2)


def test_valid_feature_mask_and_normalisation():
    assert valid_feature_mask((37, 50)).tolist()[4] == [True] * 7
    p = torch.ones(1, 1, 4, 4)
    p[0, 0, 0, 0] = 1e4  # 40 dB above the median floor
    x = normalise_heatmap(p, "log", 40.0, "noise")
    assert float(x.max()) == pytest.approx(1.0) and float(x.min()) == 0.0
    y = normalise_heatmap(p, "log", 40.0, "peak")
    assert float(y[0, 0, 0, 0]) == 1.0 and float(y[0, 0, 1, 1]) == pytest.approx(0.0)


def test_localiser_table_2_shapes():
    cfg = LocaliserConfig()
    net = LocaliserNet(cfg, (134, 128))
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [(8, 4, 2), (16, 3, 2), (8, 2, 2), (32, 4, 1)]
    lins = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in lins] == [128, 16, 64, 64, 2]
    # 134x128 -> 66x63 -> 32x31 -> 16x15 -> 13x12
    assert net.feature_hw == (13, 12) and lins[0].in_features == 32 * 13 * 12
    assert net(torch.zeros(5, 1, 134, 128)).shape == (5, 2)
    from maxray_gen.errors import ConfigError

    with pytest.raises(ConfigError, match="shrinks"):
        LocaliserNet(cfg, (8, 8))


def test_mirrored_localiser_inputs_flip_the_map_and_negate_x():
    from maxray_gen.errors import ConfigError
    from maxray_gen.learn.training.localiser import mirrored

    x = torch.zeros(2, 1, 4, 8)  # 6 map columns, 2 of padding
    x[0, 0, 1, 0] = 1.0  # an echo at the leftmost azimuth
    x[1, 0, 2, 4] = 2.0
    x[..., 6:] = -1.0  # padding stays where it is
    az = np.linspace(-0.5, 0.5, 6)
    xy = np.array([[-3.0, 5.0], [1.0, 7.0]])
    xm, ym = mirrored(x, xy, 6, az)
    assert xm.shape == (4, 1, 4, 8) and torch.equal(xm[:2], x)
    assert xm[2, 0, 1, 5] == 1.0 and xm[3, 0, 2, 1] == 2.0 and (xm[2:, ..., 6:] == -1.0).all()
    assert np.array_equal(ym, [[-3, 5], [1, 7], [3, 5], [-1, 7]])
    with pytest.raises(ConfigError, match="localiser.mirror: the heatmap's azimuth axis is not symmetric"):
        mirrored(x, xy, 6, np.linspace(-0.5, 0.4, 6))


def test_localisation_errors_by_hand():
    gt = np.array([[0.0, 10.0], [0.0, 20.0]])
    pred = np.array([[0.0, 10.1], [20.0 * math.sin(math.radians(10)), 20.0 * math.cos(math.radians(10))]])
    e = localisation_errors(pred, gt, range_resolution_m=0.2, azimuth_resolution_rad=math.radians(7))
    assert e["range_m"]["median"] == pytest.approx(0.05) and e["azimuth_deg"]["mean"] == pytest.approx(5.0)
    assert e["cartesian_m"]["mean"] == pytest.approx(0.5 * (0.1 + 2 * 20 * math.sin(math.radians(5))))
    assert e["within_cell"] == 0.5 and e["n"] == 2


def test_covariance_spectra_match_numpy_and_rank():
    g = torch.Generator().manual_seed(1)
    basis = torch.randn(3, 8, generator=g)
    f = (torch.randn(50 * 6, 3, generator=g) @ basis).reshape(50, 2, 3, 8).permute(0, 3, 1, 2)  # rank 3 over C=8
    s = covariance_spectra(f.contiguous())
    per_channel = f.permute(0, 2, 3, 1).reshape(-1, 8).double().numpy()
    ref = np.sort(np.linalg.eigvalsh(np.cov(per_channel, rowvar=False)))[::-1]
    assert np.allclose(s["channel"], ref, rtol=1e-6, atol=1e-9)
    assert s["channel"][3:].max() < 1e-9 * s["channel"][0] and len(s["spatial"]) == 6
    assert effective_rank(np.ones(5)) == pytest.approx(5.0)


def test_rf_blur_is_a_unit_gain_gaussian_of_the_beamwidth():
    img = np.zeros((101, 101))
    img[50, 50] = 1.0
    out = rf_blur(img, beamwidth_deg=2.0, horizontal_fov_deg=90.0)
    sigma = 2.0 * (101 / 2 / math.tan(math.radians(45))) * math.radians(1)
    yy, xx = np.mgrid[0:101, 0:101]
    assert out.sum() == pytest.approx(1.0, rel=1e-6)
    assert math.sqrt((out * (xx - 50) ** 2).sum()) == pytest.approx(sigma, rel=0.02)


def test_box_pixel_mask_is_the_padded_box_clipped_to_the_image():
    box = torch.tensor([[10.0, 6.0, 20.0, 12.0], [50.0, 30.0, 70.0, 45.0]])
    m = box_pixel_mask(box, (48, 72), pad_px=2, image_hw=(40, 64))  # 72 wide padded input of a 64-wide image
    assert m.shape == (2, 1, 48, 72) and set(m.unique().tolist()) == {0.0, 1.0}
    rows, cols = m[0, 0].nonzero().T  # x 8..22, y 4..14 -> pixels 8..21, 4..13
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (4, 13, 8, 21) and int(m[0].sum()) == 10 * 14
    rows, cols = m[1, 0].nonzero().T  # x 48..72 clipped to the image's 64, y 28..47 to its 40
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (28, 39, 48, 63)
    keep = box_pixel_mask(torch.tensor([[float("nan")] * 4, [100.0, 100.0, 120.0, 110.0]]), (48, 72),
                          pad_px=2, image_hw=(40, 64))
    assert int(keep[0].sum()) == int(keep[1].sum()) == 40 * 64 and float(keep[0, 0, 40:, :].sum()) == 0


@pytest.mark.parametrize("method", ["mcl", "scl"])
def test_masked_vision_input_sees_only_the_target(method):
    # gamma * v: pixels outside the padded box cannot change the target embedding, hence neither the attention
    # nor the loss; with the whole image (the default) they do
    from maxray_gen.learn.models.model import RadioVisualModel

    boxes = torch.tensor([[8.0, 8.0, 24.0, 30.0], [30.0, 4.0, 50.0, 20.0]])
    radio, image = torch.rand(2, 1, 32, 48, generator=torch.Generator().manual_seed(1)), \
        torch.rand(2, 3, 40, 56, generator=torch.Generator().manual_seed(2))
    inside = box_pixel_mask(boxes, (40, 56), pad_px=5)
    other = image * inside + torch.rand(2, 3, 40, 56, generator=torch.Generator().manual_seed(3)) * (1 - inside)
    for vision_input, same in (("masked", True), ("image", False)):
        torch.manual_seed(0)
        cfg = SSLConfig(method=method, vision_input=vision_input, backbone=BackboneConfig(width=0.125))
        model = RadioVisualModel(cfg, (32, 48), (40, 56), queue_size=4).eval()
        with torch.no_grad():
            a, b = model.attention(radio, image, boxes), model.attention(radio, other, boxes)
        assert torch.allclose(a, b, atol=1e-6) is same
    with torch.no_grad():
        seen = model.vision_view(image, boxes)
    assert torch.equal(seen, image)  # the default passes the image through


def test_echo_peak_bound_takes_the_brightest_bin_near_the_target():
    from maxray_gen.learn.experiments.evaluate import echo_peak_positions

    r = np.linspace(5.0, 30.0, 126)  # 0.2 m bins
    a = np.radians(np.linspace(-54.0, 54.0, 109))  # 1 deg bins
    power = np.ones((3, len(r), len(a)))
    # map 0: a return 1.4 m in front of the target (range 15 -> 13.6 m, boresight), a brighter one 6 m away
    power[0, np.argmin(abs(r - 13.6)), 54] = 50.0
    power[0, np.argmin(abs(r - 21.0)), 54] = 500.0
    # map 1: the brightest bin inside the disc is off to the side, at 20 m and +5 deg
    power[1, np.argmin(abs(r - 20.0)), 59] = 9.0
    gt = np.array([[0.0, 15.0], [20 * np.sin(np.radians(4.0)), 20 * np.cos(np.radians(4.0))], [0.0, 60.0]])
    xy = echo_peak_positions(power, r, a, gt, radius_m=3.0)
    assert xy[0] == pytest.approx([0.0, r[np.argmin(abs(r - 13.6))]], abs=1e-9)
    assert xy[1] == pytest.approx([20 * np.sin(a[59]), 20 * np.cos(a[59])], abs=1e-9)
    assert xy[2] == pytest.approx([0.0, 30.0], abs=1e-9)  # no bin within 3 m (beyond the map): the nearest bin


def test_config_errors_name_the_field(tmp_path):
    from maxray_gen.errors import ConfigError
    from maxray_gen.learn.config import load_localiser_config, load_ssl_config

    bad = tmp_path / "ssl.yaml"
    bad.write_text("method: scl\nema_momentum: 0.99\n")
    with pytest.raises(ConfigError, match="ssl.yaml: ema_momentum: momentum encoders apply to CL and MCL"):
        load_ssl_config(bad)
    bad.write_text("kernels: [4, 3]\n")
    with pytest.raises(ConfigError, match="kernels: needs one value per conv layer"):
        load_localiser_config(bad)
    bad.write_text("input: {radio_size: [4, 64]}\n")
    with pytest.raises(ConfigError, match="input.radio_size: each side must be at least 8"):
        load_ssl_config(bad)
    bad.write_text("method: cl\nvision_input: masked\n")
    with pytest.raises(ConfigError, match="vision_input: masked applies to MCL and SCL"):
        load_ssl_config(bad)
    assert SSLConfig(method="cl").tau == 0.07 and SSLConfig().tau == 0.1


@pytest.mark.parametrize("method", ["cl", "mcl", "scl"])
def test_attention_maps_of_every_method_by_hand(method):
    # the self-coordinate attention: SCL compares raw features; CL/MCL compare the projected target embedding with
    # each projected radio bin (default embed_dim 64 != 128 backbone channels: a missing projection cannot pass)
    from maxray_gen.learn.models.model import RadioVisualModel

    torch.manual_seed(0)
    cfg = SSLConfig(method=method, backbone=BackboneConfig(width=0.125))
    assert cfg.embed_dim != cfg.backbone.out_channels
    model = RadioVisualModel(cfg, (32, 48), (40, 56), queue_size=4).eval()
    radio, image = torch.rand(2, 1, 32, 48), torch.rand(2, 3, 40, 56)
    boxes = torch.tensor([[8.0, 8.0, 24.0, 30.0], [30.0, 4.0, 50.0, 20.0]])
    with torch.no_grad():
        a = model.attention(radio, image, boxes)
        f_r, f_v = model.encode(radio, image)
        pooled = masked_mean(f_v, model.target_mask(boxes, f_v))
        assert a.shape == (2, *f_r.shape[-2:])
        for b in range(2):
            i, j = 1, 2
            if method == "scl":
                expect = torch.nn.functional.cosine_similarity(pooled[b], f_r[b, :, i, j], dim=0)
            else:
                expect = torch.nn.functional.cosine_similarity(model.head.proj_v(pooled[b]),
                                                               model.head.proj_r(f_r[b, :, i, j]), dim=0)
            assert float(a[b, i, j]) == pytest.approx(float(expect), abs=1e-5)


def test_condition_batches_keep_groups_together_and_every_rank_sees_its_slice():
    """``batches: condition``: a batch mixes as few (weather, lighting) groups as the group sizes allow, every
    sample appears at most once per epoch, the order is a function of (seed, epoch), and two processes' slices
    are exactly the one-process batch."""
    from maxray_gen.learn.data.batches import GlobalBatchSampler

    rng = np.random.default_rng(3)
    groups = np.stack([rng.integers(0, 4, 240), rng.integers(0, 3, 240)], 1)  # 12 groups of ~20
    one = GlobalBatchSampler(240, 32, seed=5, groups=groups)
    plain = GlobalBatchSampler(240, 32, seed=5)
    for epoch in range(3):
        one.set_epoch(epoch)
        plain.set_epoch(epoch)
        batches = list(one)
        flat = np.concatenate(batches)
        assert len(batches) == 7 and len(np.unique(flat)) == len(flat) == 224
        mixed = [len({tuple(g) for g in groups[b]}) for b in batches]
        weathers = [len(set(groups[b, 0])) for b in batches]
        assert max(mixed) <= 4 and max(weathers) <= 2  # 32 samples span at most 3 group boundaries of ~20
        assert min(len({tuple(g) for g in groups[b]}) for b in plain) >= 8  # random batches: most of the 12
        again = GlobalBatchSampler(240, 32, seed=5, groups=groups)
        again.set_epoch(epoch)
        assert [list(b) for b in again] == [list(b) for b in batches]
        ranks = [GlobalBatchSampler(240, 32, seed=5, rank=r, world=2, groups=groups) for r in (0, 1)]
        for r in ranks:
            r.set_epoch(epoch)
        assert [a + b for a, b in zip(*ranks)] == [list(b) for b in batches]
    one.set_epoch(0)
    first = [list(b) for b in one]
    one.set_epoch(1)
    assert [list(b) for b in one] != first
    with pytest.raises(Exception, match="3 batch groups for 240"):
        GlobalBatchSampler(240, 32, seed=5, groups=groups[:3])


def test_mirror_augmentation_flips_image_radio_box_and_target_together():
    """``mirror: true``: the mirrored copy of a pair is the pair of the mirrored scene: image columns and radio
    azimuth columns reversed (after the background division, which belongs to the unmirrored lot), the target box
    and the target's azimuth bin moved to where the mirrored car would be (azimuth -> -azimuth)."""
    from maxray_gen.learn.data.batches import BatchPreparer, GlobalBatchSampler, Mirrored

    g = torch.Generator().manual_seed(2)
    axes = {"range_m": np.linspace(5, 30, 12), "azimuth_rad": np.radians(np.linspace(-54, 54, 16))}
    background = np.random.default_rng(0).uniform(0.5, 2.0, (12, 16)).astype(np.float32)
    cfg = InputConfig(radio_background="median", radio_reference="peak", radio_size=(24, 32), image_size=None)
    radio = RadioInput.from_axes(axes, cfg, background)
    item = {"index": 7, "target_bins": torch.tensor([4.0, 3.25]), "target_box": torch.tensor([2.0, 3.0, 9.0, 12.0]),
            "range_azimuth": torch.rand(1, 12, 16, generator=g) + 0.01,
            "rgb": torch.randint(0, 256, (3, 16, 24), generator=g, dtype=torch.uint8)}
    prep = BatchPreparer(radio, cfg)
    plain, mirrored = prep([dict(item, mirror=False)]), prep([dict(item, mirror=True)])
    assert torch.equal(mirrored["radio"], plain["radio"].flip(-1))
    assert torch.equal(mirrored["image"], plain["image"].flip(-1))
    assert mirrored["boxes"].tolist() == [[24 - 9.0, 3.0, 24 - 2.0, 12.0]]
    (_, az), (_, az_m) = (radio.bins_to_polar(*b[0].numpy()) for b in (plain["target_bins"], mirrored["target_bins"]))
    assert az_m == pytest.approx(-az, abs=1e-9) and az != pytest.approx(0.0)
    # The sampler: every sample once per epoch, about half of them as their mirrored copy, the same for any world.
    ds = Mirrored([{"index": i} for i in range(64)])
    assert len(ds) == 128 and ds[70] == {"index": 6, "mirror": True} and ds[6] == {"index": 6, "mirror": False}
    one = GlobalBatchSampler(64, 32, seed=1, mirror=True)
    two = [GlobalBatchSampler(64, 32, seed=1, rank=r, world=2, mirror=True) for r in (0, 1)]
    flat = np.concatenate(list(one))
    assert sorted(flat % 64) == list(range(64)) and 16 <= int((flat >= 64).sum()) <= 48
    assert [a + b for a, b in zip(*two)] == [list(b) for b in one]


@pytest.mark.parametrize("coordinates,radio_knows,vision_knows",
                         [("none", False, False), ("radio", True, False), ("vision", False, True),
                          ("both", True, True)])
def test_coordinate_channels_per_encoder(coordinates, radio_knows, vision_knows):
    """On a blank input a convolutional encoder's interior features are the same in every bin (it cannot tell
    where it is); the encoders given coordinate channels (``backbone.coordinates``) give different features
    bin to bin, the others do not. true/false in a config (the option's first form) read as both/none and are
    written back as true/false, so older checkpoints and reproduce stage keys stay valid."""
    from maxray_gen.learn.models.model import RadioVisualModel

    torch.manual_seed(0)
    cfg = SSLConfig(method="scl", backbone=BackboneConfig(width=0.125, coordinates=coordinates))
    model = RadioVisualModel(cfg, (256, 256), (256, 256), queue_size=4).eval()
    with torch.no_grad():
        for enc, knows in ((model.radio, radio_knows), (model.vision, vision_knows)):
            ch = enc.features[0].in_channels
            # bins 15-16 of 32: their 77-pixel fields stay clear of the padding
            f = enc(torch.zeros(1, ch - (2 if knows else 0), 256, 256))[0, :, 15:17, 15:17].flatten(1)
            assert torch.allclose(f, f[:, :1].expand_as(f), atol=1e-6) is not knows, coordinates
    for old, new in ((True, "both"), (False, "none")):
        b = BackboneConfig(coordinates=old)
        assert b.coordinates == new and b.model_dump(mode="json")["coordinates"] is old
    assert BackboneConfig(coordinates="radio").model_dump(mode="json")["coordinates"] == "radio"
    with pytest.raises(ValueError, match="coordinates"):
        BackboneConfig(coordinates="range")


def test_nearest_echo_rule_takes_the_nearest_strong_echo_not_the_brightest():
    """Two echoes per map over a flat background: a near one 6 dB below a far one is taken; a near one 20 dB below
    is not (outside 10 dB of the brightest), and within the near echo's 1 m depth its brightest bin wins."""
    from maxray_gen.learn.experiments.evaluate import nearest_echo_positions

    r = np.linspace(5.0, 30.0, 126)  # 0.2 m bins
    a = np.radians(np.linspace(-54.0, 54.0, 109))
    power = np.ones((2, len(r), len(a)))
    power[:, 100, 80] = 1000.0  # a bright far echo at 25 m
    power[0, 40, 20] = 250.0  # 6 dB below, at 13 m: taken
    power[0, 43, 21] = 300.0  # 0.6 m behind it and brighter: the same near echo's brightest bin
    power[1, 40, 20] = 10.0  # 20 dB below: ignored
    got = nearest_echo_positions(power, np.ones((len(r), len(a))), r, a)
    want = [(r[43] * np.sin(a[21]), r[43] * np.cos(a[21])), (r[100] * np.sin(a[80]), r[100] * np.cos(a[80]))]
    assert np.allclose(got, want)


def test_radar_peak_baseline_divides_out_the_static_lot():
    """Every map has a bright kerb row (the static lot, in the median map) and a weaker car echo at a different
    place per map: the raw brightest bin is the kerb, the brightest bin over the median map is each car, at its
    exact bin's position."""
    from maxray_gen.learn.experiments.evaluate import radar_peak_positions

    r = np.linspace(5.0, 30.0, 126)
    a = np.radians(np.linspace(-54.0, 54.0, 109))
    rng = np.random.default_rng(3)
    power = rng.uniform(0.5, 1.5, (6, len(r), len(a)))
    power[:, 30, :] = 100.0  # kerb at 11 m in every map
    cars = [(60 + 5 * k, 20 + 12 * k) for k in range(6)]
    for k, (i, j) in enumerate(cars):
        power[k, i, j] = 20.0
    background = np.median(power, axis=0)
    want = np.array([[r[i] * np.sin(a[j]), r[i] * np.cos(a[j])] for i, j in cars])
    assert np.allclose(radar_peak_positions(power, background, r, a), want)
    raw = radar_peak_positions(power, None, r, a)
    assert np.allclose(np.hypot(*raw.T), r[30])  # every raw peak on the kerb
