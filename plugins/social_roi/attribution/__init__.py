"""Data-driven attribution models (Markov chain removal effect, Shapley value) in numpy + pandas.

Entry points: `social_roi.attribution.data_driven.data_driven_attribution` (both models and the Markov
removal table in one pass) and `data_driven_credits`; the pieces live in `paths`, `markov` and `shapley`.
"""
