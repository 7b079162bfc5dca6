"""Weight initialisation schemes, written as in d2l (``net.apply(init_weights)``).

Self-contained: ``export_code`` copies the chosen function into the exported script.
Only Linear / Conv / ConvTranspose weights are touched, and their biases are zeroed;
normalisation layers keep weight 1, bias 0. ``engine.training.init_weights`` uses these
same functions, so a scheme means the same thing in the builder and the trainer.
"""

from __future__ import annotations

from torch import nn

WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,
            nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def init_normal(m):
    """d2l 4.3 / 5.2: weights ~ N(0, 0.01^2), biases 0."""
    if isinstance(m, WEIGHTED):
        nn.init.normal_(m.weight, mean=0.0, std=0.01)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def init_normal_1(m):
    """d2l 5.4: weights ~ N(0, 1), biases 0 — the scale that saturates sigmoids and makes
    gradients vanish or explode (the numerical-stability lesson's bad init)."""
    if isinstance(m, WEIGHTED):
        nn.init.normal_(m.weight, mean=0.0, std=1.0)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def init_xavier(m):
    """d2l 5.4 / train_ch6: Xavier (Glorot) uniform weights, biases 0."""
    if isinstance(m, WEIGHTED):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def init_kaiming(m):
    """He et al. 2015: Kaiming normal weights (fan-in, ReLU gain), biases 0."""
    if isinstance(m, WEIGHTED):
        nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        if m.bias is not None:
            nn.init.zeros_(m.bias)


# scheme -> init function (None: keep PyTorch's default initialisation)
INIT_FUNCTIONS = {
    "default": None,
    "normal": init_normal,
    "normal-1": init_normal_1,
    "xavier": init_xavier,
    "kaiming": init_kaiming,
}
