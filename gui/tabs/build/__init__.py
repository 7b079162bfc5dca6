"""Parts of the Build tab: palette, network table, diagram, undo history, formatting."""
