"""The Inside tab's parts: the network / input picker, the feature-map grid, the
attribution heat map, the evaluation views, and the jobs that feed them."""
