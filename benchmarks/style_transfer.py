"""Seconds per style-transfer step: engine.style vs the book's loop, in the same run.

Run: ``python benchmarks/style_transfer.py [--sizes small,book] [--steps 4] [--rounds 2]
[--device cpu|cuda] [--threads N]``. For each image size it times optimisation steps of

* the book's ``train`` loop from d2l 14.12 (code below, as printed, with the weights'
  ``requires_grad`` left on as after ``torchvision.models.vgg19(pretrained=True)``) over
  every layer of VGG-19 ``features`` (all 37, the baseline the issue sets; ``--book-net
  truncated`` gives the book's own 29-layer net instead), and
* ``engine.style.style_transfer`` (a frozen net cut after the deepest chosen layer,
  targets computed once, the image as the only trainable tensor, channels-last tensors
  on a CPU), including its per-step ``postprocess`` of the image for the preview.

Both use the book's layers, weights, lr and image shape, on the same device and with the
same (untrained, fixed-seed) weights — the time of a step does not depend on the weight
values. Book and ours alternate step by step for ``--rounds`` rounds so that load from
other processes hits both alike; each round's first step is a warm-up and not counted. Prints
the median seconds per step, the ratio ours / book, and the goal (≤ 0.6×) and bar (≤ 0.8×).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.images import load_image  # noqa: E402
from engine.style import (  # noqa: E402
    NUM_LAYERS,
    StyleProgress,
    StyleSettings,
    preprocess,
    style_transfer,
    untrained_features,
)

SIZES = {"book": (300, 450), "small": (150, 225)}
GOAL, BAR = 0.6, 0.8


# ------------------------------------------------ the book's code (d2l 14.12)
def book_step_times(net, content_X, style_X, steps, device):
    style_layers, content_layers = [0, 5, 10, 19, 28], [25]

    def extract_features(X, content_layers, style_layers):
        contents = []
        styles = []
        for i in range(len(net)):
            X = net[i](X)
            if i in style_layers:
                styles.append(X)
            if i in content_layers:
                contents.append(X)
        return contents, styles

    def content_loss(Y_hat, Y):
        return torch.square(Y_hat - Y.detach()).mean()

    def gram(X):
        num_channels, n = X.shape[1], X.numel() // X.shape[1]
        X = X.reshape((num_channels, n))
        return torch.matmul(X, X.T) / (num_channels * n)

    def style_loss(Y_hat, gram_Y):
        return torch.square(gram(Y_hat) - gram_Y.detach()).mean()

    def tv_loss(Y_hat):
        return 0.5 * (torch.abs(Y_hat[:, :, 1:, :] - Y_hat[:, :, :-1, :]).mean() +
                      torch.abs(Y_hat[:, :, :, 1:] - Y_hat[:, :, :, :-1]).mean())

    content_weight, style_weight, tv_weight = 1, 1e3, 10

    def compute_loss(X, contents_Y_hat, styles_Y_hat, contents_Y, styles_Y_gram):
        contents_l = [content_loss(Y_hat, Y) * content_weight
                      for Y_hat, Y in zip(contents_Y_hat, contents_Y)]  # noqa: B905
        styles_l = [style_loss(Y_hat, Y) * style_weight
                    for Y_hat, Y in zip(styles_Y_hat, styles_Y_gram)]  # noqa: B905
        tv_l = tv_loss(X) * tv_weight
        l = sum(10 * styles_l + contents_l + [tv_l])  # noqa: E741 (the book's name)
        return contents_l, styles_l, tv_l, l

    class SynthesizedImage(nn.Module):
        def __init__(self, img_shape, **kwargs):
            super().__init__(**kwargs)
            self.weight = nn.Parameter(torch.rand(*img_shape))

        def forward(self):
            return self.weight

    def get_inits(X, device, lr, styles_Y):
        gen_img = SynthesizedImage(X.shape).to(device)
        gen_img.weight.data.copy_(X.data)
        trainer = torch.optim.Adam(gen_img.parameters(), lr=lr)
        styles_Y_gram = [gram(Y) for Y in styles_Y]
        return gen_img(), styles_Y_gram, trainer

    contents_Y, _ = extract_features(content_X, content_layers, style_layers)
    _, styles_Y = extract_features(style_X, content_layers, style_layers)
    X, styles_Y_gram, trainer = get_inits(content_X, device, 0.3, styles_Y)
    scheduler = torch.optim.lr_scheduler.StepLR(trainer, 50, 0.8)
    for _epoch in range(steps):
        t0 = time.perf_counter()
        trainer.zero_grad()
        contents_Y_hat, styles_Y_hat = extract_features(X, content_layers, style_layers)
        contents_l, styles_l, tv_l, l = compute_loss(  # noqa: E741
            X, contents_Y_hat, styles_Y_hat, contents_Y, styles_Y_gram)
        l.backward()
        trainer.step()
        scheduler.step()
        float(l.detach())  # the book reads the losses every 10 steps; this syncs a GPU each step
        yield time.perf_counter() - t0


def ours_step_times(content, style, style_net, shape, steps, device):
    settings = StyleSettings(image_size=max(shape), num_epochs=steps, yield_every=1)
    last = None
    for event in style_transfer(content, style, settings=settings, style_net=style_net,
                                device=device):
        now = time.perf_counter()
        if isinstance(event, StyleProgress):
            yield now - last
        last = time.perf_counter()  # the time between steps (the caller's) is not ours


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,book",
                        help="comma-separated: small (150×225), book (300×450)")
    parser.add_argument("--steps", type=int, default=4, help="steps per round (first is "
                                                             "warm-up)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--book-net", choices=("full", "truncated"), default="full")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    content = load_image(ROOT / "assets" / "cat.jpg").array  # 451×300, the book's aspect
    style = load_image(ROOT / "assets" / "brick.jpg").array
    ours_net = untrained_features()
    book_net = untrained_features().net.to(device)  # same values, a separate module
    book_net.requires_grad_(True)  # as torchvision hands it over; the book never freezes it
    if args.book_net == "truncated":
        book_net = book_net[:29]
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"book net: {len(book_net)} of {NUM_LAYERS} layers")
    failed = False
    for key in args.sizes.split(","):
        shape = SIZES[key.strip()]
        content_X = preprocess(content, shape).to(device)
        h = round(style.shape[0] * max(shape) / max(style.shape[:2]))
        style_X = preprocess(style, (h, max(shape))).to(device)
        t_book: list[float] = []
        t_ours: list[float] = []
        for _ in range(args.rounds):
            book = book_step_times(book_net, content_X, style_X, args.steps, device)
            ours = ours_step_times(content, style, ours_net, shape, args.steps, device)
            # one step of each in turn, so that a change of load hits both alike
            pairs = [(next(book), next(ours)) for _ in range(args.steps)][1:]  # warm-up
            t_book += [b for b, _ in pairs]
            t_ours += [o for _, o in pairs]
            ours.close()
        b, o = statistics.median(t_book), statistics.median(t_ours)
        ratio = o / b
        verdict = "goal met" if ratio <= GOAL else "bar met" if ratio <= BAR else "NOT met"
        failed |= ratio > BAR
        print(f"{shape[0]}×{shape[1]}: book {b:.3f} s/step, ours {o:.3f} s/step "
              f"({len(t_ours)} steps each), ratio {ratio:.2f}× "
              f"(goal ≤ {GOAL}×, bar ≤ {BAR}×): {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    sys.exit(main())
