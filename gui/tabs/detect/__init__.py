"""Parts of the Detect tab: worker jobs, the prediction view, the gallery."""
