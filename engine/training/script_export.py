"""Export a run as a standalone training script: the book's ``train_ch6`` with this network,
this data and this recipe, needing only torch (and torchvision for file datasets).

The network is the Build tab's code export (``engine.builder.export_code``). The data:

- generated sets (``procedural-shapes``, ``colour-shapes``, ``synthetic-linear``, the 2-D
  toy sets) embed the app's own generator, copied from ``engine/data/procedural.py`` /
  ``colour_shapes.py`` / ``toy.py``, so the script makes the same examples for the same
  seed — no data file to ship, nothing approximated;
- file sets (Fashion-MNIST, MNIST, CIFAR-10, an image folder) are read with torchvision's
  dataset classes from the same data folder, as the book's ``load_data_fashion_mnist`` does.

The loop is the book's: per-batch ``Accumulator``, ``evaluate_accuracy_gpu`` after each
epoch, examples/sec of the training time. It does not reproduce the app's numbers bit for
bit (another loop, another shuffle stream); the script's header says so.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

from engine.builder.export import export_code
from engine.builder.init_schemes import INIT_FUNCTIONS
from engine.builder.spec import NetworkSpec
from engine.training.config import RunConfig

_FILE_SETS = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST", "cifar10": "CIFAR10"}
_TOY_SETS = ("spiral", "circles", "xor", "blobs")
_GENERATED = ("procedural-shapes", "colour-shapes", "synthetic-linear", *_TOY_SETS)
DATASETS = (*_GENERATED, *_FILE_SETS, "image-folder", "image-folder-imagenet")
"""Datasets a script can be written for (a test checks this covers the registry)."""


def _module_source(module: ModuleType) -> str:
    """A module's code without its docstring and ``__future__`` import (the script has
    its own), under a comment naming where it comes from."""
    source = inspect.getsource(module)
    tree = ast.parse(source)
    lines = source.splitlines()
    drop: set[int] = set()
    for node in tree.body:
        is_doc = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and (
            isinstance(node.value.value, str))
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if (is_doc and node is tree.body[0]) or future:
            drop.update(range(node.lineno - 1, node.end_lineno or node.lineno))
    body = "\n".join(line for i, line in enumerate(lines) if i not in drop).strip()
    name = module.__name__.replace(".", "/") + ".py"
    return f"# ---- copied from {name} (the app's generator, unchanged) ----\n{body}"


def _network_code(spec: NetworkSpec) -> str:
    """``export_code(spec)`` without its docstring, imports and ``__main__`` block."""
    source = export_code(spec)
    tree = ast.parse(source)
    lines = source.splitlines()
    keep: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) or (
                isinstance(node, ast.Expr) and node is tree.body[0]) or (
                isinstance(node, ast.If)):
            continue
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        keep.append("\n".join(lines[start - 1:node.end_lineno]))
    return "\n\n\n".join(keep)


def _data_code(r: RunConfig) -> tuple[str, str, list[str]]:
    """``(code defining load_data(n_train, n_test), header sentence, extra imports)``."""
    from engine.data import colour_shapes, dataset_info, procedural, toy

    opts = {**dataset_info(r.dataset).options, **dict(r.dataset_options)}
    if r.dataset == "procedural-shapes":
        embed = _module_source(procedural)
        make = ("    X_train, y_train = make_shapes(n_train, seed=2 * SEED)\n"
                "    X_test, y_test = make_shapes(n_test, seed=2 * SEED + 1)\n"
                "    X_train, X_test = X_train.float() / 255, X_test.float() / 255\n")
        about = ("procedural-shapes, generated here by the app's own generator (embedded "
                 "below): the same images as in the app for this seed")
        sizes = (60000, 10000)
    elif r.dataset == "colour-shapes":
        embed = f"{_module_source(procedural)}\n\n\n{_module_source(colour_shapes)}"
        make = ("    X_train, y_train = make_colour_shapes(n_train, seed=2 * SEED)\n"
                "    X_test, y_test = make_colour_shapes(n_test, seed=2 * SEED + 1)\n"
                "    X_train, X_test = X_train.float() / 255, X_test.float() / 255\n")
        about = ("colour-shapes, generated here by the app's own generators (embedded "
                 "below): the same images as in the app for this seed")
        sizes = (10000, 2000)
    elif r.dataset == "synthetic-linear":
        embed = _module_source(toy)
        make = (f"    w = torch.tensor({[float(v) for v in opts['w']]!r})\n"
                f"    g = torch.Generator().manual_seed(SEED)\n"
                f"    b, noise = {float(opts['b'])!r}, {float(opts['noise'])!r}\n"
                f"    X_train, y_train = synthetic_data(w, b, n_train, noise=noise, "
                f"generator=g)\n"
                f"    X_test, y_test = synthetic_data(w, b, n_test, noise=noise, "
                f"generator=g)\n")
        about = "the book's synthetic_data (embedded below), the app's data for this seed"
        sizes = (1000, 200)
    elif r.dataset in _TOY_SETS:
        embed = _module_source(toy)
        noise, classes = float(opts["noise"]), int(opts.get("classes", 2))
        make = (f"    X, y = make_toy({r.dataset!r}, n_train + n_test, noise={noise!r}, "
                f"classes={classes}, seed=SEED)\n"
                f"    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], "
                f"X[n_train:], y[n_train:]\n")
        about = (f"the 2-D {r.dataset} set, generated by the app's own code (embedded "
                 f"below): the same points as in the app for this seed")
        sizes = (400, 200)
    else:
        return _file_data_code(r, opts)
    resize = ""
    if r.resize:
        resize = (f"    resize = v2.Resize([{r.resize}, {r.resize}], antialias=True)\n"
                  f"    X_train, X_test = resize(X_train), resize(X_test)\n")
    code = (f"{embed}\n\n\n"
            f"def load_data(n_train={r.n_train or sizes[0]}, n_test={r.n_test or sizes[1]}):\n"
            f'    """Train and test iterators of (X, y) batches."""\n'
            f"{make}{resize}"
            f"    train = data.TensorDataset(X_train, y_train)\n"
            f"    test = data.TensorDataset(X_test, y_test)\n"
            f"    g = torch.Generator().manual_seed(SEED)\n"
            f"    return (data.DataLoader(train, BATCH_SIZE, shuffle=True, generator=g),\n"
            f"            data.DataLoader(test, BATCH_SIZE))")
    return code, about, ["from torchvision.transforms import v2"] if r.resize else []


def _file_data_code(r: RunConfig, opts: dict[str, Any]) -> tuple[str, str, list[str]]:
    root = r.data_root or _default_root()
    folder = r.dataset in ("image-folder", "image-folder-imagenet")
    steps = ["v2.ToImage()"]
    if r.dataset == "image-folder":
        steps.append("v2.Grayscale(1)" if opts.get("grayscale") else "v2.RGB()")
    if r.resize:
        steps.append(f"v2.Resize([{r.resize}, {r.resize}], antialias=True)")
    steps.append("v2.ToDtype(torch.float32, scale=True)")
    lines = [f"DATA_ROOT = {root!r}", "", "",
             "def _limit(dataset, n, seed):",
             '    """A seeded random subset of n examples, as the app takes (all if None)."""',
             "    if n is None or n >= len(dataset):",
             "        return dataset",
             "    idx = torch.randperm(len(dataset), "
             "generator=torch.Generator().manual_seed(seed))[:n]",
             "    return data.Subset(dataset, idx.sort().values.tolist())", "", "",
             f"def load_data(n_train={r.n_train!r}, n_test={r.n_test!r}):",
             '    """Train and test iterators of (X, y) batches."""']
    if r.dataset != "image-folder-imagenet":
        lines += ["    transform = v2.Compose([", *(f"        {step}," for step in steps),
                  "    ])"]
    else:  # the book's fine-tuning augmentations (d2l 14.2.1)
        from engine.insight.finetune import IMAGENET_MEAN, IMAGENET_STD

        norm = f"v2.Normalize({list(IMAGENET_MEAN)}, {list(IMAGENET_STD)})"
        lines += [
            "    tail = [v2.ToDtype(torch.float32, scale=True), " + norm + "]",
            "    train_transform = v2.Compose([v2.ToImage(), v2.RandomResizedCrop(224, "
            "antialias=True), v2.RandomHorizontalFlip(), *tail])",
            "    test_transform = v2.Compose([v2.ToImage(), v2.Resize(256, antialias=True), "
            "v2.CenterCrop(224), *tail])"]
    if folder and r.dataset == "image-folder":
        lines.append("    train_transform = test_transform = transform")
    if folder:
        fraction = float(opts.get("test_fraction", 0.2))
        if r.dataset == "image-folder-imagenet":
            about_size = "the book's 224-px crops and ImageNet normalisation"
        elif r.resize is None:
            about_size = ("images must share one size (set a resize in the app otherwise)")
        else:
            about_size = f"resized to {r.resize}x{r.resize}"
        lines += [
            "    root = Path(DATA_ROOT)",
            "    if (root / 'train').is_dir() and (root / 'test').is_dir():",
            "        train = datasets.ImageFolder(root / 'train', transform=train_transform)",
            "        test = datasets.ImageFolder(root / 'test', transform=test_transform)",
            "    else:",
            "        full = datasets.ImageFolder(root, transform=train_transform)",
            "        other = datasets.ImageFolder(root, transform=test_transform)",
            f"        n_test_split = max(1, round(len(full) * {fraction!r}))",
            "        perm = torch.randperm(len(full), "
            "generator=torch.Generator().manual_seed(SEED))",
            "        train = data.Subset(full, perm[n_test_split:].tolist())",
            "        test = data.Subset(other, perm[:n_test_split].tolist())"]
        about = (f"your image folder {root}, read with torchvision's ImageFolder ({about_size}"
                 f"; unlike the app it does not skip unreadable files)")
        imports = ["from pathlib import Path", "", "from torchvision import datasets",
                   "from torchvision.transforms import v2"]
    else:
        cls = _FILE_SETS[r.dataset]
        lines += [f"    train = datasets.{cls}(DATA_ROOT, train=True, transform=transform)",
                  f"    test = datasets.{cls}(DATA_ROOT, train=False, transform=transform)"]
        about = (f"{r.dataset} read with torchvision.datasets.{cls} from {root} (the app's "
                 f"data folder; no download"
                 + ("; torchvision wants the unpacked idx files, which the app writes beside "
                    "the .gz files when it first loads them)" if cls != "CIFAR10" else ")"))
        imports = ["from torchvision import datasets", "from torchvision.transforms import v2"]
    lines += ["    train, test = _limit(train, n_train, SEED), _limit(test, n_test, SEED + 1)",
              "    g = torch.Generator().manual_seed(SEED)",
              "    return (data.DataLoader(train, BATCH_SIZE, shuffle=True, generator=g),",
              "            data.DataLoader(test, BATCH_SIZE))"]
    return "\n".join(lines), about, imports


def _default_root() -> str:
    from engine.data import default_data_root

    return str(default_data_root())


def _optimizer_code(r: RunConfig) -> str:
    wd = f", weight_decay={r.weight_decay!r}" if r.weight_decay else ""
    return {"sgd": f"torch.optim.SGD(net.parameters(), lr=lr{wd})",
            "momentum": f"torch.optim.SGD(net.parameters(), lr=lr, momentum={r.momentum!r}{wd})",
            "adam": f"torch.optim.Adam(net.parameters(), lr=lr{wd})",
            "adamw": f"torch.optim.AdamW(net.parameters(), lr=lr{wd})"}[r.optimizer]


def _schedule_code(r: RunConfig) -> str | None:
    if r.schedule == "step":
        size = r.step_size or max(1, r.num_epochs // 3)
        return f"torch.optim.lr_scheduler.StepLR(optimizer, step_size={size}, gamma={r.gamma!r})"
    if r.schedule == "cosine":
        return "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)"
    return None


_LOSSES = {"cross-entropy": "nn.CrossEntropyLoss()", "mse": "nn.MSELoss()",
           "l1": "nn.L1Loss()", "huber": "nn.HuberLoss()"}


def _loop_code(r: RunConfig, classify: bool) -> str:
    """The book's ``train_ch6`` (d2l 7.6), its Animator replaced by a print per epoch."""
    loss_name = r.loss or ("cross-entropy" if classify else "mse")
    one_hot = classify and loss_name != "cross-entropy"
    target = ("F.one_hot(y, y_hat.shape[-1]).float()" if one_hot else
              "y" if classify else "y.reshape(y_hat.shape)")
    schedule = _schedule_code(r)
    init = ""
    if r.init == "default":
        init = ("    for m in net.modules():  # PyTorch's default initialisation\n"
                "        if m is not net and hasattr(m, 'reset_parameters'):\n"
                "            m.reset_parameters()\n")
    elif r.init is not None:
        init = f"    net.apply({INIT_FUNCTIONS[r.init].__name__})\n"
    clip = (f"            nn.utils.clip_grad_norm_(net.parameters(), {r.grad_clip!r})\n"
            if r.grad_clip else "")
    acc_train = "metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])" if classify \
        else "metric.add(l * X.shape[0], 0, X.shape[0])"
    report = ('        print(f"epoch {epoch + 1}: loss {train_l:.3f}, train acc '
              '{train_acc:.3f}, test acc {test_acc:.3f}")' if classify else
              '        print(f"epoch {epoch + 1}: loss {train_l:.4g}, test loss {test_l:.4g}")')
    test = ("        test_acc = evaluate_accuracy_gpu(net, test_iter)" if classify else
            "        test_l = evaluate_loss(net, test_iter, loss)")
    return f'''class Accumulator:
    """For accumulating sums over n variables (d2l)."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """Number of correct predictions (d2l)."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Accuracy of a model on a dataset using a GPU (d2l)."""
    if isinstance(net, nn.Module):
        net.eval()
        if not device:
            device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def evaluate_loss(net, data_iter, loss):
    """Mean loss of a model on a dataset (d2l's evaluate_loss)."""
    net.eval()
    device = next(iter(net.parameters())).device
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            metric.add(loss(y_hat, {target}) * X.shape[0], X.shape[0])
    return metric[0] / metric[1]


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model with a GPU (d2l 7.6), with this run's optimiser and loss."""
{init}    print("training on", device)
    net.to(device)
    optimizer = {_optimizer_code(r)}
    scheduler = {schedule or "None"}
    loss = {_LOSSES[loss_name]}
    seconds = 0.0  # training time only, like the book's Timer
    for epoch in range(num_epochs):
        metric = Accumulator(3)  # sum of training loss, sum of correct, no. of examples
        net.train()
        for X, y in train_iter:
            start = time.perf_counter()
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, {target})
            l.backward()
{clip}            optimizer.step()
            with torch.no_grad():
                {acc_train}
            seconds += time.perf_counter() - start
            train_l = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
{test}
        if scheduler is not None:
            scheduler.step()
{report}
    print(f"{{metric[2] * num_epochs / seconds:.1f}} examples/sec on {{device}}")
    return net'''


def network_spec(config: RunConfig) -> NetworkSpec:
    """The builder spec of ``config.model`` (a spec or a preset).

    Raises:
        ValueError: no model, or a zoo model (it has no builder code to copy).
    """
    from engine.builder import preset

    ref = config.model
    if ref is None:
        raise ValueError("model: the config names no network; a script needs one")
    if ref.kind == "spec":
        return NetworkSpec.from_dict(ref.spec or {})
    if ref.kind == "preset":
        return preset(ref.name)
    raise ValueError(f"model: {ref.describe()} is a zoo model, which has no builder code "
                     f"to copy into a standalone script; export the experiment JSON and "
                     f"run it with `python -m engine train --config`")


def training_script(config: RunConfig, *, spec: NetworkSpec | None = None) -> str:
    """A standalone Python script that trains ``config``'s network on its data.

    Args:
        config: the run; ``dataset`` None means the spec's default dataset.
        spec: the network, if already at hand (default :func:`network_spec`).

    Raises:
        ValueError: the dataset or task has no standalone form, the model is not a
            builder network, or the spec has a shape error.
    """
    spec = spec or network_spec(config)
    r = config.replace(dataset=config.dataset or spec.train_defaults.get("dataset"))
    if r.dataset not in DATASETS:
        raise ValueError(f"dataset {r.dataset!r} cannot be exported as a script; "
                         f"supported: {', '.join(DATASETS)}")
    from engine.data import dataset_info

    task = r.task or dataset_info(r.dataset).task
    if task not in ("classification", "regression"):
        raise ValueError(f"task {task!r} cannot be exported as a train_ch6 script (it "
                         f"trains classifiers and regressors); export the experiment JSON")
    classify = task == "classification"
    net_code = _network_code(spec)
    if r.init not in (None, "default", spec.init) and INIT_FUNCTIONS[r.init]:
        net_code = f"{inspect.getsource(INIT_FUNCTIONS[r.init]).rstrip()}\n\n\n{net_code}"
        if "WEIGHTED =" not in net_code:
            net_code = ("WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d,\n"
                        "            nn.ConvTranspose1d, nn.ConvTranspose2d, "
                        "nn.ConvTranspose3d)\n\n\n" + net_code)
    data_code, about, imports = _data_code(r)
    left_out = [what for what, used in (
        ("the random training transforms", r.transforms),
        ("the optimiser parameter groups", r.param_groups),
        (f"the mixed precision (amp={r.amp})", r.amp != "off"),
        ("the channels-last layout", r.channels_last)) if used]
    header = "\n".join([
        f'"""Train {spec.name} on {r.dataset}: exported by Deep Learning Playground.', "",
        "Standalone: needs only torch" + (" and torchvision" if imports else "")
        + ", not the app. The loop is the book's", "train_ch6 (d2l 7.6) with this run's "
        "network, data and recipe. It does not repeat the", "app's numbers bit for bit (another "
        "loop and shuffle stream), only its set-up.", "",
        textwrap.fill(f"Data: {about}.", 88), "",
        textwrap.fill(f"Recipe: {_recipe_text(r, classify)}.", 88),
        *([textwrap.fill(f"Not in this script: {' and '.join(left_out)} of the app's run.",
                         88)] if left_out else []), "",
        "Run: python this_file.py [--epochs N] [--n-train N] [--n-test N] [--device cpu]",
        '"""'])
    parts = [header, "\n".join(["from __future__ import annotations", "", "import argparse",
                                "import time", *([""] + imports if imports else []), "",
                                "import torch", "from torch import nn",
                                "from torch.nn import functional as F",
                                "from torch.utils import data"]),
             "\n".join([f"NUM_EPOCHS = {r.num_epochs}", f"LR = {r.lr!r}",
                        f"BATCH_SIZE = {r.batch_size}", f"SEED = {r.seed}"]),
             "# ---- the network (as the Build tab's Export code) ----\n" + net_code,
             "# ---- the data ----\n" + data_code,
             "# ---- the book's training loop ----\n" + _loop_code(r, classify),
             _main_code()]
    return "\n\n\n".join(parts) + "\n"


def _recipe_text(r: RunConfig, classify: bool) -> str:
    parts = [f"lr {r.lr:g}", f"batch {r.batch_size}", f"{r.num_epochs} epochs",
             f"optimiser {r.optimizer}" + (f" (momentum {r.momentum:g})"
                                           if r.optimizer == "momentum" else "")]
    if r.weight_decay:
        parts.append(f"weight decay {r.weight_decay:g}")
    if r.schedule != "none":
        parts.append(f"{r.schedule} LR schedule")
    parts.append(f"loss {r.loss or ('cross-entropy' if classify else 'mse')}")
    if r.init is not None:
        parts.append(f"init {r.init}")
    if r.grad_clip:
        parts.append(f"gradient clip {r.grad_clip:g}")
    return ", ".join([*parts, f"seed {r.seed}"])


def _main_code() -> str:
    return '''if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=NUM_EPOCHS)
    parser.add_argument("--n-train", type=int, help="use N training examples")
    parser.add_argument("--n-test", type=int, help="use N test examples")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--save", help="save the trained weights (state_dict) here")
    args = parser.parse_args()
    torch.manual_seed(SEED)
    sizes = {k: v for k, v in (("n_train", args.n_train), ("n_test", args.n_test)) if v}
    train_iter, test_iter = load_data(**sizes)
    net = build_net()
    train_ch6(net, train_iter, test_iter, args.epochs, LR, torch.device(args.device))
    if args.save:
        torch.save(net.state_dict(), args.save)
        print("saved", args.save)'''


def write_training_script(path: str | Path, config: RunConfig) -> Path:
    """Write :func:`training_script` to ``path`` atomically; returns the path."""
    from engine.files import write_text_atomic

    return write_text_atomic(Path(path), training_script(config))
