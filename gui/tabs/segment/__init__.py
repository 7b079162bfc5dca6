"""Parts of the Segment tab: the transposed-convolution explorer, the mask layer of an
image canvas, and the prediction viewer."""
