"""Offline sandbox: a seeded synthetic marketing world served through the real APIs' shapes.

``generate_world(WorldConfig(...))`` builds the world and its ground truth (``world.truth``);
``SandboxServer(world_or_config)`` serves it over HTTP (Meta Graph, LinkedIn Marketing, X API v2,
GA4 export, HubSpot CRM, Salesforce, Brandwatch).
"""

from social_roi.sandbox.world import (
    TRUTH_TABLES,
    World,
    WorldConfig,
    generate_world,
    thesis_summary,
    write_truth,
)

__all__ = ["TRUTH_TABLES", "World", "WorldConfig", "generate_world", "thesis_summary", "write_truth"]
