"""Insights: diagnostic, predictive and prescriptive analytics, workforce planning and maturity.

Sits above the domain services and the impact engine: it reads the canonical model through the
metric and impact services and turns it into explanations, risk scores and recommendations.
"""
