"""Dock panels of the main window; each reads the session and never changes it directly."""
