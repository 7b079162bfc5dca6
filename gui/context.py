"""AppContext: what every tab shares — settings, compute device, messages."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QSettings, Signal

ORG, APP = "DLPlayground", "Deep Learning Playground"


class AppContext(QObject):
    """Shared state handed to each tab.

    Signals:
        device_changed(str): the compute device string ("cpu", "cuda", "mps")
            once known (torch is imported off the UI thread at start-up) and after
            the "Use CPU only" preference changes.
        message_posted(str, str): (level, text) for the message panel / status bar.
        network_sent(object): the Build tab hands a NetworkSpec to the Train tab.
        model_shared(object, str): a trained network (``engine.training.RunModel``) and
            its title, shared by the Train tab when a run ends, for the Inside tab.
        training_event(object): an event of a hook from ``make_training_hooks`` (e.g.
            ``ParamStats``), re-posted by the tab that trains, for views elsewhere.
        augmentation_sent(object): the Augment tab hands a PipelineSpec to the Train tab
            as the train-time transform.
    """

    device_changed = Signal(str)
    message_posted = Signal(str, str)
    network_sent = Signal(object)  # engine.builder.NetworkSpec, Build -> Train
    model_shared = Signal(object, str)  # engine.training.RunModel, title: Train -> Inside
    training_event = Signal(object)  # hook events of a run, Train -> Inside
    augmentation_sent = Signal(object)  # engine.augment.PipelineSpec, Augment -> Train
    _device_found = Signal(str, str)

    def __init__(self, settings: QSettings | None = None, *, force_cpu: bool | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings(ORG, APP)
        if force_cpu is not None:
            self.settings.setValue("device/force_cpu", bool(force_cpu))
        self.device = "cpu"
        self.device_label = "detecting…"
        self.device_ready = False
        self.current_network = None  # last NetworkSpec sent from the Build tab
        self.current_model: tuple[object, str] | None = None  # last trained (model, title)
        self._hook_factories: list = []  # () -> Hook | None, asked at each run's start
        self._device_found.connect(self._on_device_found)

    # -------------------------------------------------------------- device
    @property
    def force_cpu(self) -> bool:
        return _as_bool(self.settings.value("device/force_cpu", False))

    def set_force_cpu(self, on: bool) -> None:
        self.settings.setValue("device/force_cpu", bool(on))
        self.detect_device()

    def detect_device(self, *, background: bool = True) -> None:
        """Import torch and pick the device; in a thread so the window shows first."""
        force = self.force_cpu

        def work() -> None:
            from engine.device import describe_device, pick_device

            device = pick_device(force_cpu=force)
            self._device_found.emit(device.type, describe_device(device))

        if background:
            threading.Thread(target=work, name="device-probe", daemon=True).start()
        else:
            work()

    def _on_device_found(self, device: str, label: str) -> None:
        self.device, self.device_label, self.device_ready = device, label, True
        self.device_changed.emit(device)

    def send_network(self, spec: object) -> None:
        """Hand a network spec to whoever trains it (the Train tab)."""
        self.current_network = spec
        self.network_sent.emit(spec)

    def share_model(self, model: object, title: str) -> None:
        """Offer a trained network (a run's ``RunModel``) to the views that look inside."""
        self.current_model = (model, title)
        self.model_shared.emit(model, title)

    def add_training_hook(self, factory: object) -> None:
        """Ask for a hook in every run a tab starts: ``factory() -> Hook | None``; its
        events come back through ``training_event``."""
        self._hook_factories.append(factory)

    def make_training_hooks(self) -> list:
        """The hooks wanted for a run starting now (the training tab calls this)."""
        return [h for h in (f() for f in self._hook_factories) if h is not None]

    def post_training_event(self, event: object) -> None:
        self.training_event.emit(event)

    def send_augmentation(self, spec: object) -> None:
        """Hand an augmentation pipeline to the Train tab as its train-time transform."""
        self.augmentation_sent.emit(spec)

    # ------------------------------------------------------------ messages
    def info(self, text: str) -> None:
        self.message_posted.emit("info", text)

    def warn(self, text: str) -> None:
        self.message_posted.emit("warning", text)

    def error(self, text: str) -> None:
        self.message_posted.emit("error", text)


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)
