"""Simulation: a scenario run in memory or streamed into a store, on a dask cluster, with progress."""
