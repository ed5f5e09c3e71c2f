"""The version of lphedge (read by the build, recorded in every result's provenance)."""

__version__ = "0.1.0"
