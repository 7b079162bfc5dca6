"""Attributions: which input pixels a class score depends on, through captum.

Three methods, all captum's (``captum.attr``), never re-derived here:

* ``"saliency"``: |∂ y_c / ∂ x| (Simonyan et al. 2014), ``Saliency``;
* ``"integrated-gradients"``: (x − x₀) · ∫ ∂ y_c / ∂ x along the straight path from a
  black baseline x₀ (Sundararajan et al. 2017), ``IntegratedGradients``;
* ``"grad-cam"``: ReLU(Σ_k α_k A_k) of a chosen convolution's activations A_k, weighted by
  their mean gradients α_k (Selvaraju et al. 2017), ``LayerGradCam``, upsampled
  bilinearly to the input's size (``LayerAttribution.interpolate``).

>>> result = attribute(net, x, method="grad-cam")   # the predicted class, the last conv
>>> result.values.shape == tuple(x.shape)            # (C, H, W); grad-cam: (1, H, W)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from engine.insight.features import _batch, conv_layers, unwrap

METHODS = ("saliency", "integrated-gradients", "grad-cam")
METHOD_TITLES = {"saliency": "Saliency", "integrated-gradients": "Integrated gradients",
                 "grad-cam": "Grad-CAM"}


@dataclass(frozen=True, eq=False)
class Attribution:
    """An attribution of one input for one class.

    Attributes:
        method: one of ``METHODS``.
        target: the class explained; predicted: the class the network predicts.
        layer: the convolution Grad-CAM used ("" for the others).
        values (np.ndarray[C, H, W] float32): captum's attribution, the input's shape
            (Grad-CAM: ``[1, H, W]``, upsampled from the layer's grid).
        heat (np.ndarray[H, W] float32): a non-negative map to draw over the input
            (saliency: max over channels; integrated gradients: Σ|·| over channels;
            Grad-CAM: the map itself).
    """

    method: str
    target: int
    predicted: int
    layer: str
    values: np.ndarray
    heat: np.ndarray


def attribute(net: nn.Module, x: Tensor, *, method: str = "saliency", target: int | None = None,
              layer: str | None = None, steps: int = 32) -> Attribution:
    """Attribute the score of class ``target`` to the pixels of ``x``.

    Args:
        net: a classifier returning ``Tensor[1, k]`` logits; evaluated in eval mode (the
            mode is restored after). Its parameters' gradients are left untouched.
        x (Tensor[C, H, W] or [1, C, H, W]): the input.
        method: ``"saliency"``, ``"integrated-gradients"`` or ``"grad-cam"``.
        target: the class to explain; None = the predicted class.
        layer: Grad-CAM's convolution (a ``named_modules`` name); None = the last one.
        steps: integration steps of integrated gradients.

    Raises:
        ValueError: an unknown method or layer, a network that does not return class
            scores, Grad-CAM on a network without a convolution.
    """
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Saliency

    if method not in METHODS:
        raise ValueError(f"method={method!r} is not an attribution method; choose one of "
                         f"{', '.join(METHODS)}")
    net = unwrap(net)
    batch = _batch(net, x)
    was_training = net.training
    grads = {n: p.grad for n, p in net.named_parameters()}
    net.eval()
    try:
        with torch.no_grad():
            logits = net(batch)
        if not isinstance(logits, Tensor) or logits.dim() != 2:
            got = (tuple(logits.shape) if isinstance(logits, Tensor)
                   else type(logits).__name__)
            raise ValueError(f"attributions need a classifier that returns one row of class "
                             f"scores per input; this network returns {got}")
        k = logits.shape[1]
        predicted = int(logits.argmax(1))
        target = predicted if target is None else int(target)
        if not 0 <= target < k:
            raise ValueError(f"target={target} is not a class of this network (0 … {k - 1})")
        name = ""
        batch = batch.clone().requires_grad_(method != "grad-cam")
        if method == "saliency":
            values = Saliency(net).attribute(batch, target=target, abs=True)
        elif method == "integrated-gradients":
            values = IntegratedGradients(net).attribute(
                batch, baselines=torch.zeros_like(batch), target=target, n_steps=steps,
                internal_batch_size=steps)
        else:
            name, module = _gradcam_layer(net, layer)
            cam = LayerGradCam(net, module).attribute(batch, target=target,
                                                      relu_attributions=True)
            values = LayerAttribution.interpolate(cam, tuple(batch.shape[2:]),
                                                  interpolate_mode="bilinear")
    finally:
        net.train(was_training)
        for n, p in net.named_parameters():  # captum's backward passes must leave no trace
            p.grad = grads.get(n)
    values = values.detach()[0].float().cpu()
    if method == "saliency":
        heat = values.abs().amax(0)
    elif method == "integrated-gradients":
        heat = values.abs().sum(0)
    else:
        heat = values[0].clamp(min=0)
    return Attribution(method, target, predicted, name, values.numpy(), heat.numpy())


def _gradcam_layer(net: nn.Module, layer: str | None) -> tuple[str, nn.Module]:
    convs = conv_layers(net)
    if not convs:
        raise ValueError("Grad-CAM needs a convolutional layer and this network has none; use "
                         "saliency or integrated gradients")
    if layer is None:
        return convs[-1]
    for name, module in convs:
        if name == layer:
            return name, module
    raise ValueError(f"layer={layer!r} is not a convolution of this network; choose one of "
                     f"{', '.join(n for n, _ in convs)}")
