"""Diagnostics: why things happened (funnels, items, skill gaps, comparisons, engagement,
audiences)."""
