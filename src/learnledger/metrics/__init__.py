"""Metrics: definitions, catalogue, segmentation and execution on any engine."""
