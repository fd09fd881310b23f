"""Goal themes of the three dataset variants (App. D.5): 31 places, 10 interior styles, 83 diverse themes.

A theme is a name, a phrase for the goal text and ``choices``: for each dimension the theme can change,
the values that fit it. A goal samples some of these dimensions and one fitting value for each (never the
current value). Theme tables are written compactly as ``"dim=value|value; dim=value"`` with short dimension
keys (`KEYS`) and checked against the vocabularies at import time.

* `SIMPLE_PLACES` -- the Simple variant's "31 locations" flavour: named places, each a location value
  (the theme of a Simple goal is the place the scene ends up in).
* `REGULAR_THEMES` -- 10 interior-design styles (Regular: 3-5 interacting changes with preservation).
* `COMPLEX_THEMES` -- 83 diverse themes (Complex: 2-4 styling changes).
"""

from __future__ import annotations

from dataclasses import dataclass

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS

KEYS: dict[str, str] = {
    "loc": "location",
    "arch": "architecture",
    "era": "time_period",
    "tod": "time_of_day",
    "season": "season",
    "weather": "weather",
    "mood": "mood_lighting",
    "grade": "color_grading",
    "medium": "artistic_medium",
    "fx": "atmospheric_effects",
}
INTERIOR_LOCATIONS: tuple[str, ...] = ("bedroom_interior", "office_modern")


@dataclass(frozen=True)
class Theme:
    """A named goal theme: ``choices`` maps a dimension to the values that fit the theme."""

    name: str
    phrase: str
    choices: dict[str, tuple[str, ...]]

    def values(self) -> set[tuple[str, str]]:
        return {(dim, value) for dim, values in self.choices.items() for value in values}


def _parse(spec: str) -> dict[str, tuple[str, ...]]:
    choices: dict[str, tuple[str, ...]] = {}
    for part in spec.split(";"):
        key, _, values = part.strip().partition("=")
        dim = KEYS[key.strip()]
        parsed = tuple(v.strip() for v in values.split("|"))
        unknown = [v for v in parsed if v not in DIMENSION_VALUES[dim]]
        assert not unknown, (spec, dim, unknown)
        choices[dim] = parsed
    # Dimension order as in DIMENSIONS, so iteration is deterministic whatever the spec order.
    return {dim: choices[dim] for dim in DIMENSIONS if dim in choices}


def _themes(table: dict[str, str]) -> dict[str, Theme]:
    return {name: Theme(name, name.replace("_", " "), _parse(spec)) for name, spec in table.items()}


# ---------------------------------------------------------------------------------------------------- Simple

# place -> location value (31 places over the 16 location values).
SIMPLE_PLACES: dict[str, str] = {
    "city_downtown": "urban_city",
    "harbor_city": "urban_city",
    "quiet_suburb": "suburban_neighborhood",
    "garden_suburb": "suburban_neighborhood",
    "vineyard_hills": "rural_village",
    "tulip_field": "rural_village",
    "farm_village": "rural_village",
    "factory_district": "industrial_zone",
    "rail_yard": "industrial_zone",
    "sandy_beach": "beach_coast",
    "rocky_coastline": "beach_coast",
    "palm_island": "tropical_island",
    "lagoon_island": "tropical_island",
    "oak_forest": "forest_temperate",
    "pine_woods": "forest_temperate",
    "dune_desert": "desert_sand",
    "desert_canyon": "desert_sand",
    "alpine_peaks": "mountain_rocky",
    "arctic_glacier": "mountain_rocky",
    "crystal_cave": "cave_underground",
    "mine_tunnel": "cave_underground",
    "orbital_station": "space_station",
    "moon_base": "space_station",
    "fairy_castle": "fantasy_castle",
    "dragon_keep": "fantasy_castle",
    "market_town": "medieval_town",
    "walled_town": "medieval_town",
    "neon_megacity": "cyberpunk_city",
    "cozy_bedroom": "bedroom_interior",
    "open_plan_office": "office_modern",
    "glass_tower_office": "office_modern",
}
assert len(SIMPLE_PLACES) == 31 and set(SIMPLE_PLACES.values()) == set(DIMENSION_VALUES["location"])

# ---------------------------------------------------------------------------------------------------- Regular

REGULAR_THEMES: dict[str, Theme] = _themes(
    {
        "cyberpunk_nightclub": "loc=bedroom_interior|office_modern; arch=cyberpunk_neon; "
        "era=near_future_2050s|far_future_2200s; tod=night_starlit|night_moonlit; "
        "mood=energetic_bright|dramatic_contrast; grade=neon_bright|purple_magenta; fx=smoke_wisps|haze_atmospheric",
        "scandinavian_minimal": "loc=bedroom_interior|office_modern; arch=modern_minimalist; era=modern_2000s; "
        "tod=morning_golden|overcast_diffuse; mood=serene_peaceful|cool_calm; "
        "grade=natural_balanced|pastel_soft|low_saturation; fx=none_clear|mist_light",
        "victorian_library": "loc=bedroom_interior|office_modern; arch=victorian_gothic; era=victorian_1800s; "
        "tod=dusk_twilight|night_moonlit; mood=warm_cozy|mysterious_dark; grade=warm_cinematic|sepia_vintage; "
        "medium=oil_painting|photorealistic; fx=dust_particles|light_rays",
        "industrial_loft": "loc=bedroom_interior|office_modern; arch=industrial_warehouse; "
        "era=early_1900s|modern_2000s; tod=afternoon_warm|overcast_diffuse; mood=dramatic_contrast|warm_cozy; "
        "grade=desaturated_muted|teal_orange|warm_cinematic; fx=dust_particles|smoke_wisps",
        "japanese_zen_retreat": "loc=bedroom_interior|office_modern; arch=traditional_asian; "
        "tod=morning_golden|afternoon_warm; season=spring_blooming|autumn_falling; mood=serene_peaceful; "
        "grade=natural_balanced|pastel_soft|warm_cinematic; fx=mist_light|light_rays",
        "art_deco_lounge": "loc=bedroom_interior|office_modern; arch=art_deco; era=early_1900s; "
        "tod=night_moonlit|dusk_twilight; mood=romantic_soft|dramatic_contrast; "
        "grade=warm_cinematic|sepia_vintage|black_white; fx=smoke_wisps|sparkles_magical",
        "mediterranean_villa": "loc=bedroom_interior|office_modern; arch=middle_eastern|classical_greek; "
        "tod=afternoon_warm|midday_overhead; season=summer_lush|dry_season; mood=warm_cozy|energetic_bright; "
        "grade=warm_cinematic|vibrant_saturated; fx=light_rays|none_clear",
        "baroque_ballroom": "loc=bedroom_interior|office_modern; arch=baroque_ornate; "
        "era=renaissance|victorian_1800s; "
        "mood=romantic_soft|dramatic_contrast; grade=warm_cinematic|sepia_vintage; "
        "medium=oil_painting|photorealistic; fx=sparkles_magical|light_rays",
        "mid_century_modern_den": "loc=bedroom_interior|office_modern; arch=modern_minimalist; era=mid_century_1950s; "
        "tod=afternoon_warm|sunset_golden; mood=warm_cozy|serene_peaceful; "
        "grade=warm_cinematic|pastel_soft|sepia_vintage; fx=none_clear|light_rays",
        "futuristic_smart_home": "loc=bedroom_interior|office_modern; arch=futuristic_sci_fi; "
        "era=near_future_2050s|far_future_2200s; tod=dusk_twilight|night_starlit; mood=cool_calm|energetic_bright; "
        "grade=cool_blue|teal_orange|neon_bright; fx=light_rays|lens_flare",
    }
)

# ---------------------------------------------------------------------------------------------------- Complex

COMPLEX_THEMES: dict[str, Theme] = _themes(
    {
        "golden_hour_winter_wonderland": "tod=sunset_golden|morning_golden; season=winter_snow; weather=light_snow; "
        "mood=serene_peaceful|romantic_soft; grade=warm_cinematic; fx=snow_falling|light_rays",
        "arctic_to_desert_canyon": "loc=desert_sand|mountain_rocky; season=dry_season; weather=clear_sky|hazy; "
        "grade=warm_cinematic|teal_orange; fx=dust_particles|haze_atmospheric",
        "renaissance_oil_portrait": "era=renaissance; mood=warm_cozy|dramatic_contrast|romantic_soft; "
        "grade=warm_cinematic|sepia_vintage; medium=oil_painting",
        "cyberpunk_rainy_night": "loc=cyberpunk_city; arch=cyberpunk_neon; tod=night_moonlit|night_starlit; "
        "weather=light_rain|heavy_rain; grade=neon_bright|purple_magenta|teal_orange; "
        "fx=rain_drops|haze_atmospheric",
        "misty_mountain_dawn": "loc=mountain_rocky; tod=dawn_first_light; weather=mist_light|fog_heavy; "
        "mood=serene_peaceful|ethereal_soft; grade=pastel_soft|cool_blue; fx=mist_light|fog_dense|light_rays",
        "autumn_forest_path": "loc=forest_temperate; tod=afternoon_warm|sunset_golden; season=autumn_falling; "
        "mood=warm_cozy|serene_peaceful; grade=warm_cinematic; fx=light_rays|mist_light",
        "tropical_beach_sunset": "loc=tropical_island|beach_coast; tod=sunset_golden; season=summer_lush|dry_season; "
        "weather=clear_sky|partly_cloudy; grade=teal_orange|warm_cinematic|vibrant_saturated; "
        "fx=lens_flare|light_rays",
        "gothic_horror_night": "arch=victorian_gothic; tod=night_moonlit; weather=fog_heavy|thunderstorm; "
        "mood=ominous_dark|mysterious_dark; grade=desaturated_muted|cool_blue|black_white; fx=fog_dense|smoke_wisps",
        "film_noir_city": "loc=urban_city; era=mid_century_1950s|early_1900s; tod=night_moonlit|dusk_twilight; "
        "weather=light_rain|fog_heavy; mood=dramatic_contrast|mysterious_dark|tense_harsh; grade=black_white; "
        "fx=smoke_wisps|rain_drops",
        "studio_ghibli_countryside": "loc=rural_village; season=summer_lush|spring_blooming; "
        "weather=partly_cloudy|clear_sky; mood=serene_peaceful|warm_cozy; grade=vibrant_saturated|pastel_soft; "
        "medium=anime_style",
        "watercolor_spring_garden": "tod=morning_golden; season=spring_blooming; weather=clear_sky|partly_cloudy; "
        "mood=serene_peaceful|romantic_soft|ethereal_soft; grade=pastel_soft; medium=watercolor",
        "impressionist_paris_evening": "loc=urban_city; tod=dusk_twilight|sunset_golden; "
        "weather=light_rain|partly_cloudy; mood=romantic_soft; grade=warm_cinematic|pastel_soft; "
        "medium=impressionist",
        "post_apocalyptic_wasteland": "loc=industrial_zone|desert_sand|urban_city; weather=dust_storm|hazy; "
        "mood=ominous_dark|melancholic_muted; grade=desaturated_muted|sepia_vintage; fx=dust_particles|smoke_wisps",
        "enchanted_forest": "loc=forest_temperate; season=eternal_spring|spring_blooming; "
        "mood=ethereal_soft|mysterious_dark; grade=purple_magenta|pastel_soft|teal_orange; medium=digital_art; "
        "fx=sparkles_magical|light_rays|mist_light",
        "medieval_market_morning": "loc=medieval_town; arch=medieval_castle; era=medieval_dark_ages; "
        "tod=morning_golden; mood=warm_cozy|energetic_bright; grade=warm_cinematic|natural_balanced",
        "space_station_sunrise": "loc=space_station; arch=futuristic_sci_fi; era=far_future_2200s|near_future_2050s; "
        "tod=dawn_first_light|morning_golden; grade=teal_orange|high_contrast; fx=lens_flare|light_rays",
        "desert_sandstorm": "loc=desert_sand; season=dry_season; weather=dust_storm; "
        "mood=tense_harsh|dramatic_contrast; grade=sepia_vintage|warm_cinematic|teal_orange; "
        "fx=dust_particles|haze_atmospheric",
        "venetian_carnival_night": "arch=baroque_ornate; tod=night_starlit|dusk_twilight; "
        "mood=romantic_soft|mysterious_dark; grade=purple_magenta|warm_cinematic; fx=sparkles_magical|light_rays",
        "japanese_zen_garden_autumn": "arch=traditional_asian; season=autumn_falling; weather=mist_light|clear_sky; "
        "mood=serene_peaceful; grade=warm_cinematic|natural_balanced|pastel_soft; fx=mist_light|none_clear",
        "art_deco_jazz_age": "arch=art_deco; era=early_1900s; tod=night_moonlit|dusk_twilight; "
        "mood=romantic_soft|warm_cozy|dramatic_contrast; grade=sepia_vintage|black_white|warm_cinematic",
        "victorian_london_fog": "arch=victorian_gothic; era=victorian_1800s; weather=fog_heavy; "
        "mood=melancholic_muted|mysterious_dark; grade=desaturated_muted|sepia_vintage; fx=fog_dense|smoke_wisps",
        "neon_synthwave_sunset": "tod=sunset_golden|dusk_twilight; mood=energetic_bright|romantic_soft; "
        "grade=purple_magenta|neon_bright; medium=digital_art|low_poly_3d; fx=lens_flare|light_rays",
        "pixel_art_adventure": "loc=fantasy_castle|forest_temperate|mountain_rocky; "
        "tod=midday_overhead|afternoon_warm; mood=energetic_bright; grade=vibrant_saturated|high_contrast; "
        "medium=pixel_art",
        "low_poly_island": "loc=tropical_island; tod=midday_overhead|afternoon_warm; weather=clear_sky; "
        "grade=vibrant_saturated|pastel_soft|teal_orange; medium=low_poly_3d",
        "claymation_village": "loc=rural_village|suburban_neighborhood; season=spring_blooming|summer_lush; "
        "mood=warm_cozy|energetic_bright; grade=pastel_soft|vibrant_saturated; medium=clay_animation",
        "charcoal_industrial_study": "loc=industrial_zone; weather=overcast_gray; "
        "mood=melancholic_muted|dramatic_contrast; grade=black_white|desaturated_muted; medium=charcoal_drawing",
        "pencil_sketch_architecture": "arch=classical_greek|baroque_ornate|art_deco; "
        "mood=neutral_balanced|serene_peaceful; grade=black_white|low_saturation; medium=pencil_sketch",
        "comic_book_action_city": "loc=urban_city; weather=thunderstorm|clear_sky; "
        "mood=energetic_bright|tense_harsh|dramatic_contrast; grade=high_contrast|vibrant_saturated; "
        "medium=comic_book; fx=smoke_wisps|light_rays",
        "thunderstorm_prairie": "loc=rural_village; season=summer_lush|wet_season; weather=thunderstorm|heavy_rain; "
        "mood=dramatic_contrast|ominous_dark; grade=desaturated_muted|cool_blue|high_contrast; fx=rain_drops",
        "blizzard_mountain_pass": "loc=mountain_rocky; season=winter_snow; weather=blizzard; "
        "mood=tense_harsh|ominous_dark; grade=cool_blue|desaturated_muted; fx=snow_falling",
        "cherry_blossom_kyoto": "arch=traditional_asian; tod=morning_golden|afternoon_warm; season=spring_blooming; "
        "mood=romantic_soft|serene_peaceful; grade=pastel_soft; fx=sparkles_magical|light_rays",
        "moonlit_castle_ruins": "loc=fantasy_castle; arch=medieval_castle; tod=night_moonlit; "
        "mood=mysterious_dark|ominous_dark; grade=cool_blue|desaturated_muted; fx=mist_light|fog_dense",
        "steampunk_victorian_workshop": "arch=industrial_warehouse|victorian_gothic; era=victorian_1800s; "
        "mood=warm_cozy|dramatic_contrast; grade=sepia_vintage|warm_cinematic; fx=smoke_wisps|embers_floating",
        "ancient_greek_agora": "arch=classical_greek; era=ancient_classical; tod=midday_overhead|afternoon_warm; "
        "season=summer_lush|dry_season; weather=clear_sky; grade=warm_cinematic|natural_balanced",
        "egyptian_desert_temple": "loc=desert_sand; arch=middle_eastern; era=ancient_classical; "
        "tod=sunset_golden|afternoon_warm; grade=warm_cinematic|teal_orange|sepia_vintage; "
        "fx=haze_atmospheric|dust_particles",
        "arabian_nights_bazaar": "arch=middle_eastern; tod=night_starlit|dusk_twilight; "
        "mood=romantic_soft|mysterious_dark|warm_cozy; grade=warm_cinematic|purple_magenta; "
        "fx=embers_floating|sparkles_magical|smoke_wisps",
        "brutalist_dystopia": "arch=brutalist_concrete; era=near_future_2050s; weather=overcast_gray|hazy; "
        "mood=melancholic_muted|tense_harsh|ominous_dark; grade=desaturated_muted|low_saturation|cool_blue; "
        "fx=haze_atmospheric|smoke_wisps",
        "mid_century_suburb": "loc=suburban_neighborhood; arch=modern_minimalist; era=mid_century_1950s; "
        "tod=afternoon_warm|morning_golden; mood=warm_cozy|serene_peaceful; "
        "grade=pastel_soft|sepia_vintage|warm_cinematic",
        "prehistoric_valley": "loc=forest_temperate|mountain_rocky; era=prehistoric; season=summer_lush|wet_season; "
        "weather=mist_light|partly_cloudy; grade=natural_balanced|warm_cinematic; fx=mist_light|haze_atmospheric",
        "glowing_grotto": "loc=cave_underground; mood=mysterious_dark|ethereal_soft; "
        "grade=teal_orange|cool_blue|purple_magenta; fx=sparkles_magical|light_rays|mist_light",
        "foggy_harbor_morning": "loc=beach_coast; tod=dawn_first_light|morning_golden; weather=fog_heavy|mist_light; "
        "mood=melancholic_muted|serene_peaceful; grade=desaturated_muted|pastel_soft; fx=fog_dense|mist_light",
        "rainy_tokyo_alley": "loc=cyberpunk_city|urban_city; tod=night_moonlit|dusk_twilight; "
        "weather=light_rain|heavy_rain; mood=mysterious_dark|romantic_soft; grade=neon_bright|teal_orange; "
        "fx=rain_drops",
        "summer_festival_fireworks": "tod=night_starlit; season=summer_lush; mood=energetic_bright|romantic_soft; "
        "grade=neon_bright|purple_magenta; fx=sparkles_magical|embers_floating",
        "harvest_village_autumn": "loc=rural_village; tod=afternoon_warm|sunset_golden; season=autumn_falling; "
        "mood=warm_cozy; grade=warm_cinematic|sepia_vintage; fx=light_rays|dust_particles",
        "frozen_lake_twilight": "tod=dusk_twilight; season=winter_snow; weather=clear_sky|light_snow; "
        "mood=serene_peaceful|cool_calm; grade=cool_blue|purple_magenta; fx=mist_light|none_clear",
        "volcanic_inferno": "loc=mountain_rocky; weather=hazy|dust_storm; "
        "mood=ominous_dark|tense_harsh|dramatic_contrast; grade=high_contrast|warm_cinematic|teal_orange; "
        "fx=embers_floating|smoke_wisps",
        "fairy_tale_castle_spring": "loc=fantasy_castle; season=eternal_spring|spring_blooming; "
        "mood=ethereal_soft|romantic_soft; grade=pastel_soft|vibrant_saturated; fx=sparkles_magical|light_rays",
        "sci_fi_megacity_2200": "loc=urban_city|cyberpunk_city; arch=futuristic_sci_fi; era=far_future_2200s; "
        "tod=dusk_twilight|night_starlit; grade=cool_blue|teal_orange|neon_bright; "
        "fx=light_rays|haze_atmospheric|lens_flare",
        "rustic_cabin_winter_night": "tod=night_moonlit|night_starlit; season=winter_snow; weather=light_snow; "
        "mood=warm_cozy; grade=warm_cinematic; fx=snow_falling|embers_floating",
        "noir_detective_office": "loc=office_modern; era=mid_century_1950s|early_1900s; "
        "mood=mysterious_dark|dramatic_contrast; grade=black_white; fx=smoke_wisps|light_rays",
        "minimalist_scandinavian_morning": "arch=modern_minimalist; tod=morning_golden; "
        "season=winter_snow|spring_blooming; mood=serene_peaceful|cool_calm; "
        "grade=natural_balanced|pastel_soft|low_saturation",
        "tropical_monsoon": "loc=tropical_island|rural_village; season=wet_season; weather=heavy_rain|thunderstorm; "
        "mood=melancholic_muted|dramatic_contrast; grade=teal_orange|desaturated_muted; fx=rain_drops|mist_light",
        "lavender_field_provence": "loc=rural_village; tod=sunset_golden|afternoon_warm; season=summer_lush; "
        "mood=romantic_soft|serene_peaceful; grade=purple_magenta|pastel_soft; medium=impressionist|photorealistic",
        "haunted_victorian_mansion": "arch=victorian_gothic; tod=night_moonlit|dusk_twilight; "
        "weather=fog_heavy|thunderstorm; mood=ominous_dark; grade=desaturated_muted|purple_magenta|cool_blue; "
        "fx=fog_dense|smoke_wisps|mist_light",
        "solarpunk_garden_city": "arch=futuristic_sci_fi|modern_minimalist; era=near_future_2050s; "
        "season=spring_blooming|summer_lush; mood=energetic_bright|serene_peaceful; "
        "grade=vibrant_saturated|natural_balanced; fx=light_rays|sparkles_magical",
        "ancient_temple_jungle": "loc=tropical_island|forest_temperate; arch=traditional_asian|classical_greek; "
        "era=ancient_classical; season=wet_season|summer_lush; weather=mist_light|light_rain; "
        "fx=mist_light|light_rays",
        "vaporwave_dream": "tod=dusk_twilight|sunset_golden; mood=ethereal_soft|romantic_soft; "
        "grade=purple_magenta|pastel_soft|neon_bright; medium=digital_art|low_poly_3d; "
        "fx=sparkles_magical|lens_flare",
        "dust_bowl_1930s": "loc=rural_village; era=early_1900s; season=dry_season; weather=dust_storm; "
        "mood=melancholic_muted; grade=sepia_vintage|desaturated_muted",
        "medieval_siege_dusk": "loc=medieval_town|fantasy_castle; arch=medieval_castle; era=medieval_dark_ages; "
        "tod=dusk_twilight|sunset_golden; mood=tense_harsh|dramatic_contrast; "
        "grade=high_contrast|teal_orange|warm_cinematic; fx=smoke_wisps|embers_floating",
        "northern_lights_tundra": "tod=night_starlit; season=winter_snow; weather=clear_sky; "
        "mood=ethereal_soft|serene_peaceful; grade=purple_magenta|cool_blue; fx=sparkles_magical|light_rays",
        "sunlit_mediterranean_village": "loc=rural_village|beach_coast; arch=middle_eastern|classical_greek; "
        "tod=midday_overhead|afternoon_warm; season=summer_lush; weather=clear_sky; "
        "grade=vibrant_saturated|warm_cinematic",
        "baroque_palace_gala": "arch=baroque_ornate; era=renaissance|victorian_1800s; "
        "mood=romantic_soft|warm_cozy|dramatic_contrast; grade=warm_cinematic|sepia_vintage; "
        "medium=oil_painting|photorealistic; fx=sparkles_magical|light_rays",
        "industrial_revolution_factory": "loc=industrial_zone; arch=industrial_warehouse|brutalist_concrete; "
        "era=victorian_1800s|early_1900s; weather=overcast_gray|hazy; grade=sepia_vintage|desaturated_muted; "
        "fx=smoke_wisps|haze_atmospheric",
        "surreal_floating_islands": "weather=partly_cloudy; mood=ethereal_soft; grade=pastel_soft|purple_magenta; "
        "medium=digital_art|abstract; fx=sparkles_magical|mist_light",
        "abstract_expressionist_city": "loc=urban_city; mood=energetic_bright|dramatic_contrast; "
        "grade=vibrant_saturated|high_contrast|neon_bright; medium=abstract",
        "pastel_spring_suburb": "loc=suburban_neighborhood; tod=morning_golden|afternoon_warm; "
        "season=spring_blooming; "
        "weather=clear_sky|partly_cloudy; mood=serene_peaceful|warm_cozy; grade=pastel_soft",
        "stormy_coastline": "loc=beach_coast; weather=thunderstorm|heavy_rain; mood=dramatic_contrast|ominous_dark; "
        "grade=cool_blue|desaturated_muted|high_contrast; fx=rain_drops|mist_light",
        "golden_desert_oasis": "loc=desert_sand; arch=middle_eastern; tod=sunset_golden|afternoon_warm; "
        "season=dry_season; grade=warm_cinematic|teal_orange; fx=haze_atmospheric|light_rays",
        "bioluminescent_cave": "loc=cave_underground; mood=ethereal_soft|mysterious_dark; "
        "grade=teal_orange|purple_magenta|neon_bright; medium=digital_art|photorealistic; "
        "fx=sparkles_magical|mist_light",
        "retro_1950s_americana": "loc=suburban_neighborhood|urban_city; era=mid_century_1950s; "
        "tod=afternoon_warm|sunset_golden; mood=energetic_bright|warm_cozy; "
        "grade=pastel_soft|vibrant_saturated|warm_cinematic",
        "silent_film_era": "era=early_1900s; mood=melancholic_muted|dramatic_contrast|romantic_soft; "
        "grade=black_white|sepia_vintage; medium=photorealistic|charcoal_drawing; fx=smoke_wisps|none_clear",
        "foggy_redwood_morning": "loc=forest_temperate; tod=morning_golden|dawn_first_light; "
        "weather=fog_heavy|mist_light; mood=ethereal_soft|serene_peaceful; "
        "grade=natural_balanced|teal_orange|pastel_soft; fx=light_rays|mist_light",
        "alien_planet_landscape": "loc=desert_sand|mountain_rocky; era=far_future_2200s; "
        "mood=mysterious_dark|ethereal_soft; grade=purple_magenta|teal_orange|neon_bright; "
        "fx=sparkles_magical|haze_atmospheric|dust_particles",
        "candlelit_gothic_cathedral": "arch=victorian_gothic|baroque_ornate; tod=night_moonlit|dusk_twilight; "
        "mood=mysterious_dark|romantic_soft|warm_cozy; grade=warm_cinematic|sepia_vintage; "
        "fx=embers_floating|light_rays|smoke_wisps",
        "tuscan_vineyard_harvest": "loc=rural_village; tod=sunset_golden|afternoon_warm; season=autumn_falling; "
        "mood=warm_cozy|romantic_soft; grade=warm_cinematic; medium=oil_painting|photorealistic|impressionist",
        "rainforest_expedition": "loc=tropical_island|forest_temperate; season=wet_season; "
        "weather=light_rain|mist_light; mood=mysterious_dark|energetic_bright; "
        "grade=teal_orange|natural_balanced|vibrant_saturated; fx=mist_light|rain_drops|light_rays",
        "anime_city_summer": "loc=urban_city|suburban_neighborhood; season=summer_lush; "
        "weather=clear_sky|partly_cloudy; grade=vibrant_saturated|pastel_soft; medium=anime_style; "
        "fx=lens_flare|light_rays",
        "wartime_ruins_1940s": "era=early_1900s|mid_century_1950s; weather=overcast_gray|hazy; "
        "mood=melancholic_muted|tense_harsh; grade=desaturated_muted|black_white|sepia_vintage; "
        "fx=smoke_wisps|dust_particles|embers_floating",
        "cozy_holiday_village": "loc=rural_village|medieval_town; tod=dusk_twilight|night_starlit; "
        "season=winter_snow; "
        "weather=light_snow; mood=warm_cozy|romantic_soft; grade=warm_cinematic; fx=snow_falling|sparkles_magical",
        "neon_arcade_retro": "arch=cyberpunk_neon; tod=night_starlit|dusk_twilight; mood=energetic_bright; "
        "grade=neon_bright|purple_magenta; medium=pixel_art|low_poly_3d",
        "serene_lake_dawn": "tod=dawn_first_light; season=summer_lush|autumn_falling; weather=mist_light|clear_sky; "
        "mood=serene_peaceful|ethereal_soft; grade=pastel_soft|cool_blue|natural_balanced; fx=mist_light|light_rays",
        "dark_fantasy_battlefield": "loc=fantasy_castle|mountain_rocky; weather=thunderstorm|overcast_gray; "
        "mood=ominous_dark|tense_harsh; grade=desaturated_muted|high_contrast|teal_orange; "
        "medium=digital_art|oil_painting; fx=embers_floating|smoke_wisps",
        "zen_monastery_snowfall": "arch=traditional_asian; season=winter_snow; weather=light_snow; "
        "mood=serene_peaceful|cool_calm; grade=cool_blue|low_saturation|natural_balanced; "
        "fx=snow_falling|mist_light",
    }
)
assert len(REGULAR_THEMES) == 10, len(REGULAR_THEMES)
assert len(COMPLEX_THEMES) == 83, len(COMPLEX_THEMES)


def theme_table(variant: str) -> dict[str, Theme]:
    """The theme table of ``"regular"`` or ``"complex"`` goals."""
    if variant == "regular":
        return REGULAR_THEMES
    if variant == "complex":
        return COMPLEX_THEMES
    raise ValueError(f"Only regular and complex goals have a theme table, not {variant!r}.")
