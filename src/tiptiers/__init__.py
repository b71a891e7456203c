"""tiptiers: an open, evidence-based system for tiering governments' anti-trafficking efforts."""

__version__ = "0.1.0"
