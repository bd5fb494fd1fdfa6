"""Renderers of grading results: terminal text and the formats other tools read."""
