"""Parts of the Augment tab: slider form, pipeline list, sample grid, jobs, sources."""
