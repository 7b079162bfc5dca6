"""Parts of the Style tab: log-scale sliders, the VGG layer picker, the content / style
panes, the snapshot strip, the worker job and the remembered settings."""
