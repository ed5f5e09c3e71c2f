"""Results: the run's plan, what one block produces, the Dataset layout, and the zarr store."""
