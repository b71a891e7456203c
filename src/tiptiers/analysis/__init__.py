"""Fairness and robustness analyses: dominance audit, ordered logit fit, Monte Carlo over the tier rules.

Pure: plain dataclasses in and out, numpy/scipy/statsmodels; nothing from store/, web/ or cli/.
"""

DEFAULT_ASSESSING_COUNTRY = "USA"
INDICATORS = ("3p", "ratings")  # what countries are compared on: Cho's 3P index, or the stored ratings
