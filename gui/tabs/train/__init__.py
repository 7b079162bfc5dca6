"""Parts of the Train tab: the worker-side jobs, forms, runs list and curves."""
