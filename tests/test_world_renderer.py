"""The hermetic styling world: procedural renderer, per-dimension edits, masks, blends, statistics."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, StyleContext
from trl_styling.world import (
    BLEND_MODES,
    CANONICAL_ORDER,
    DIMENSION_EFFECTS,
    GEOMETRY_DIMENSIONS,
    GRADIENT_CURVES,
    GRADIENT_DIRECTIONS,
    NEUTRAL_VALUES,
    REGIONS,
    apply_edit,
    apply_time_of_day,
    blend,
    build_scene,
    gradient_mask,
    image_statistics,
    object_mask,
    region_mask,
    render_array,
    render_by_edits,
    render_scene,
    render_state,
)

SIZE = 96  # small enough for the whole vocabulary in a few seconds; effects scale with the size
DISTINCT = 0.008  # minimum mean absolute pixel difference between two values of one dimension


@pytest.fixture(scope="module")
def base() -> tuple[np.ndarray, object]:
    return render_state(StyleContext(), seed=1, size=SIZE)


def _other_value(dim: str, current: str | None) -> str:
    return next(v for v in DIMENSION_VALUES[dim] if v != (current or NEUTRAL_VALUES[dim]))


def test_render_is_deterministic_rgb_and_seeded() -> None:
    ctx = StyleContext(
        location="beach_coast", time_of_day="sunset_golden", weather="light_rain", season="autumn_falling"
    )
    a, b = render_scene(ctx, seed=3, size=SIZE), render_scene(ctx, seed=3, size=SIZE)
    assert a.mode == "RGB" and a.size == (SIZE, SIZE)
    assert a.tobytes() == b.tobytes()
    x, y = render_array(ctx, seed=3, size=SIZE), render_array(ctx, seed=4, size=SIZE)
    diff = float(np.abs(x - y).mean())
    assert 0.005 < diff < 0.25  # same world, slightly different layout


def test_none_means_the_documented_neutral_values() -> None:
    neutral = StyleContext(**NEUTRAL_VALUES)
    np.testing.assert_array_equal(render_array(StyleContext(), 2, SIZE), render_array(neutral, 2, SIZE))


def test_unknown_value_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed values"):
        render_scene(StyleContext(weather="acid_rain"), size=SIZE)


@pytest.mark.parametrize("dim", DIMENSIONS)
def test_every_value_of_a_dimension_is_distinguishable(dim: str) -> None:
    images = {v: render_array(StyleContext(**{dim: v}), seed=0, size=SIZE) for v in DIMENSION_VALUES[dim]}
    for a, b in itertools.combinations(images, 2):
        diff = float(np.abs(images[a] - images[b]).mean())
        assert diff > DISTINCT, f"{dim}: {a} and {b} differ by only {diff:.4f}"


@pytest.mark.parametrize("dim", [d for d in DIMENSIONS if d not in GEOMETRY_DIMENSIONS])
def test_style_values_change_pixels_in_other_settings(dim: str) -> None:
    ctx = StyleContext(location="cave_underground", architecture="traditional_asian", time_period="victorian_1800s")
    ref = render_array(ctx, seed=5, size=SIZE)
    for value in DIMENSION_VALUES[dim]:
        if value == NEUTRAL_VALUES[dim]:
            continue
        assert float(np.abs(render_array(ctx.replace(**{dim: value}), 5, SIZE) - ref).mean()) > 1e-3, value


def test_render_equals_neutral_scene_edited_in_canonical_order() -> None:
    assert CANONICAL_ORDER == (
        "location",
        "architecture",
        "time_period",
        "season",
        "time_of_day",
        "weather",
        "mood_lighting",
        "atmospheric_effects",
        "color_grading",
        "artistic_medium",
    )
    assert tuple(DIMENSION_EFFECTS) == CANONICAL_ORDER
    rng = np.random.default_rng(0)
    for i in range(4):
        ctx = StyleContext(**{d: str(rng.choice(DIMENSION_VALUES[d])) for d in DIMENSIONS})
        direct, scene_a = render_state(ctx, seed=i, size=SIZE)
        edited, scene_b = render_by_edits(ctx, seed=i, size=SIZE)
        assert scene_a.context == scene_b.context == ctx
        assert float(np.abs(direct - edited).max()) < 1e-4


def test_scene_layers_and_depth(base) -> None:
    _, scene = base
    assert scene.label.shape == scene.depth.shape == (SIZE, SIZE)
    assert 0.0 <= scene.depth.min() and scene.depth.max() <= 1.0
    assert np.all(scene.depth[scene.label == 0] == 1.0)  # the sky is farthest
    categories = {o.category for o in scene.objects}
    assert {"person", "vehicle", "lamp"} <= categories
    for o in scene.objects:
        assert object_mask(scene, o.category).sum() > 0
    room = build_scene(StyleContext(location="bedroom_interior"), size=SIZE)
    assert room.interior and "furniture" in {o.category for o in room.objects}


def test_region_masks(base) -> None:
    _, scene = base
    for region in REGIONS:
        m = region_mask(scene, region)
        assert m.shape == (SIZE, SIZE) and m.dtype == np.float32
        assert set(np.unique(m)) <= {0.0, 1.0}
    area = {r: float(region_mask(scene, r).mean()) for r in REGIONS}
    assert area["top_half"] == pytest.approx(0.5) and area["bottom_half"] == pytest.approx(0.5)
    assert area["center"] == pytest.approx(0.25) and area["edges"] == pytest.approx(0.75)
    assert area["foreground"] + area["background"] == pytest.approx(1.0)
    assert 0.0 < area["foreground"] < 0.5
    for r in ("sky", "ground", "buildings", "vegetation"):
        assert area[r] > 0.01, r
    labels = sum(
        region_mask(scene, r) for r in ("sky", "backdrop", "buildings", "ground", "water", "vegetation", "objects")
    )
    np.testing.assert_array_equal(labels, 1.0)  # the semantic labels partition the frame
    assert region_mask(scene, "sky")[: SIZE // 4].mean() > 0.8  # the sky is up
    assert area["full_image"] == 1.0
    assert area["highlights"] + area["shadows"] == pytest.approx(1.0) and 0.3 < area["highlights"] < 0.7
    both = region_mask(scene, "background&bottom_half")
    np.testing.assert_array_equal(both, region_mask(scene, "background") * region_mask(scene, "bottom_half"))
    for category in ("building", "tree", "sky", "road", "person", "vehicle"):
        assert object_mask(scene, category).sum() > 0, category
    assert object_mask(scene, "food").sum() == 0
    np.testing.assert_array_equal(region_mask(scene, "object:person"), object_mask(scene, "person"))
    with pytest.raises(ValueError, match="Unknown region"):
        region_mask(scene, "upper_left")


@pytest.mark.parametrize("curve", GRADIENT_CURVES)
@pytest.mark.parametrize("direction", GRADIENT_DIRECTIONS)
def test_gradient_masks(direction: str, curve: str) -> None:
    m = gradient_mask(SIZE, direction, curve)
    assert m.shape == (SIZE, SIZE) and m.dtype == np.float32
    assert 0.0 <= m.min() < 0.05 and 0.9 < m.max() <= 1.0
    profile = {
        "top_to_bottom": m[:, SIZE // 2],
        "bottom_to_top": m[::-1, SIZE // 2],
        "left_to_right": m[SIZE // 2],
        "right_to_left": m[SIZE // 2, ::-1],
        "center_outward": m[SIZE // 2, SIZE // 2 :],
        "edges_inward": m[SIZE // 2, : SIZE // 2],
    }[direction]
    assert np.all(np.diff(profile) >= -1e-6)


def test_gradient_mask_options() -> None:
    assert gradient_mask((10, 20), "left_to_right").shape == (10, 20)
    m = gradient_mask(SIZE, "top_to_bottom", "linear", start=0.5, end=0.75)
    assert m[: SIZE // 2].max() == 0.0 and m[int(SIZE * 0.8) :].min() == 1.0
    with pytest.raises(ValueError):
        gradient_mask(SIZE, "diagonal")
    with pytest.raises(ValueError):
        gradient_mask(SIZE, "top_to_bottom", "cubic")


@pytest.mark.parametrize("dim", DIMENSIONS)
def test_edits_strength_zero_identity_mask_exact_and_valid_range(dim: str, base) -> None:
    image, scene = base
    half = region_mask(scene, "bottom_half") * gradient_mask(SIZE, "left_to_right", "sigmoid")
    outside = half == 0
    for value in DIMENSION_VALUES[dim]:
        if value == scene.value(dim):
            continue
        zero, _ = apply_edit(image, scene, dim, value, strength=0.0)
        np.testing.assert_array_equal(zero, image)
        full, _ = apply_edit(image, scene, dim, value)
        masked, _ = apply_edit(image, scene, dim, value, strength=0.7, mask=half)
        for out in (full, masked):
            assert out.dtype == np.float32 and out.shape == image.shape
            assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
        np.testing.assert_array_equal(masked[outside], image[outside])
        assert not np.array_equal(full, image), f"{dim}={value} changed nothing"


def test_apply_edit_updates_the_symbolic_state(base) -> None:
    image, scene = base
    _, s2 = apply_edit(image, scene, "weather", "light_snow")
    assert s2.context.weather == "light_snow" and s2.label is scene.label
    _, s3 = apply_edit(image, scene, "architecture", "medieval_castle")
    assert s3.context.architecture == "medieval_castle" and not np.array_equal(s3.label, scene.label)
    same, _ = apply_edit(image, s2, "weather", "light_snow")  # already in that state: identity
    np.testing.assert_array_equal(same, image)


def test_time_of_day_edit_is_source_aware(base) -> None:
    image, scene = base
    night, scene_n = apply_edit(image, scene, "time_of_day", "night_moonlit")
    assert image_statistics(night)["mean_luminance"] < 0.5 * image_statistics(image)["mean_luminance"]
    back = apply_time_of_day(night, scene_n, "midday_overhead")
    assert float(np.abs(back - image).mean()) < 0.02  # light divided out again, not stacked


def test_blend_modes() -> None:
    a = np.full((4, 4, 3), 0.25, np.float32)
    b = np.full((4, 4, 3), 0.5, np.float32)
    expected = {"normal": 0.5, "multiply": 0.125, "screen": 0.625, "overlay": 0.25}
    assert set(expected) == set(BLEND_MODES)
    for mode, value in expected.items():
        np.testing.assert_allclose(blend(a, b, mode), value, atol=1e-6)
    np.testing.assert_allclose(blend(a, b, "normal", opacity=0.5), 0.375, atol=1e-6)
    mask = np.zeros((4, 4), np.float32)
    mask[0] = 1
    out = blend(a, b, "screen", mask=mask)
    np.testing.assert_array_equal(out[1:], a[1:])
    with pytest.raises(ValueError):
        blend(a, b, "dodge")


def test_image_statistics(base) -> None:
    image, scene = base
    stats = image_statistics(image)
    assert set(stats) == {"mean_luminance", "contrast", "saturation", "colorfulness", "warmth", "edge_density"}
    assert all(np.isfinite(v) for v in stats.values())
    grey, _ = apply_edit(image, scene, "color_grading", "black_white")
    assert image_statistics(grey)["saturation"] < 0.02 < stats["saturation"]
    sketch, _ = apply_edit(image, scene, "artistic_medium", "pencil_sketch")
    assert image_statistics(sketch)["colorfulness"] < stats["colorfulness"]
    black = image_statistics(np.zeros((8, 8, 3), np.float32))
    assert black["mean_luminance"] == 0.0 and black["edge_density"] == 0.0


def test_wrong_shapes_are_refused(base) -> None:
    image, scene = base
    with pytest.raises(ValueError, match="shape"):
        apply_edit(image[:10], scene, "season", "winter_snow")
    with pytest.raises(ValueError, match="mask"):
        apply_edit(image, scene, "season", "winter_snow", mask=np.ones((3, 3), np.float32))
    with pytest.raises(KeyError):
        apply_edit(image, scene, "lens", "wide")
    assert _other_value("season", None) != "summer_lush"
