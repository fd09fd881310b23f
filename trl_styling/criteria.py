"""The paper's six reward criteria and their weights (App. C.3.1): one definition for the data schema,
the judges and the reports. No heavy imports, so the world and the data layer can both use it."""

from __future__ import annotations

CRITERIA_WEIGHTS: dict[str, float] = {
    "goal_alignment": 0.30,
    "aesthetic_quality": 0.25,
    "spatial_consistency": 0.15,
    "technical_quality": 0.15,
    "temporal_consistency": 0.10,
    "creative_interpretation": 0.05,
}
CRITERIA: tuple[str, ...] = tuple(CRITERIA_WEIGHTS)
