"""Object-detection building blocks from d2l chapter 14: anchors, IoU, labelling, NMS.

Qt-free, tensor in / tensor out, with the book's names, shapes and output layouts.
Helpers for the Detection lab tab (one pixel's anchors, assignment details, a
step-by-step NMS, the book's examples) live next to the ops they explain.
"""

from __future__ import annotations

from engine.detection.anchors import (
    anchor_count,
    anchor_labels,
    anchors_at_pixel,
    multibox_prior,
    multiscale_anchors,
)
from engine.detection.boxes import (
    IouDetails,
    box_center_to_corner,
    box_corner_to_center,
    box_iou,
    iou_details,
    offset_boxes,
    offset_inverse,
)
from engine.detection.examples import (
    BOOK_RATIOS,
    BOOK_SIZES,
    CAT_BBOX,
    CATDOG_SIZE,
    DOG_BBOX,
    LabellingExample,
    NmsExample,
    jitter_predictions,
    labelling_example,
    nms_example,
)
from engine.detection.labelling import (
    AnchorAssignment,
    anchor_assignment,
    assign_anchor_to_bbox,
    multibox_target,
)
from engine.detection.nms import (
    NmsDropped,
    NmsEvent,
    NmsFinished,
    NmsKept,
    NmsSuppressed,
    multibox_detection,
    nms,
    nms_steps,
)

__all__ = [
    "BOOK_RATIOS", "BOOK_SIZES", "CATDOG_SIZE", "CAT_BBOX", "DOG_BBOX",
    "AnchorAssignment", "IouDetails", "LabellingExample", "NmsDropped", "NmsEvent",
    "NmsExample", "NmsFinished", "NmsKept", "NmsSuppressed",
    "anchor_assignment", "anchor_count", "anchor_labels", "anchors_at_pixel",
    "assign_anchor_to_bbox", "box_center_to_corner", "box_corner_to_center", "box_iou",
    "iou_details", "jitter_predictions", "labelling_example", "multibox_detection",
    "multibox_prior", "multibox_target", "multiscale_anchors", "nms", "nms_example",
    "nms_steps", "offset_boxes", "offset_inverse",
]
