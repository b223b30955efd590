"""Face detection, sharpness and cropping helpers (OpenCV), used by :mod:`gvisage_lib.faces.preprocess`.

Detection uses OpenCV's Haar frontal-face cascade (``haarcascade_frontalface_default.xml``), which ships inside
``opencv-python-headless``: nothing is downloaded. For speed, the image is scaled down so that its longer side is at
most ``max_side`` pixels before the cascade runs, and the boxes are scaled back to the input's pixel grid.

Photos are decoded by :func:`decode_image` (from :mod:`gvisage_lib.core.images`, the pipeline's one decoder).

Examples
--------
>>> import numpy as np
>>> detect_faces(np.full((120, 100, 3), 128, np.uint8))
[]
>>> round(laplacian_variance(np.zeros((50, 50, 3), np.uint8)), 1)
0.0
"""

from __future__ import annotations

import functools
import os

import cv2
import numpy as np

# the pipeline's one photo decoder, here for the face steps (it lives in core so that validation can use it too)
from gvisage_lib.core.images import MAX_IMAGE_PIXELS, ImageTooLarge, decode_image, header_size, read_image
from gvisage_lib.core.validation import check_int

#: The cascade file inside the OpenCV wheel.
CASCADE_FILE = "haarcascade_frontalface_default.xml"

Box = tuple[int, int, int, int]


def check_rgb_image(image: object, name: str = "image") -> np.ndarray:
    """Return ``image`` if it is an RGB uint8 array of shape (H, W, 3); raise TypeError/ValueError otherwise.

    Examples
    --------
    >>> check_rgb_image(np.zeros((4, 4), np.uint8))
    Traceback (most recent call last):
    ...
    ValueError: image must have shape (height, width, 3) (RGB), got (4, 4)
    """
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"{name} must have shape (height, width, 3) (RGB), got {image.shape}")
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise ValueError(f"{name} must be at least 8x8 pixels, got {image.shape[:2]}")
    return image


@functools.lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = os.path.join(cv2.data.haarcascades, CASCADE_FILE)
    casc = cv2.CascadeClassifier(path)
    if casc.empty():
        raise RuntimeError(f"could not load OpenCV's Haar cascade {CASCADE_FILE} from the OpenCV installation")
    return casc


def detect_faces(image: np.ndarray, *, max_side: int = 200, scale_factor: float = 1.1, min_neighbors: int = 5,
                 min_size_fraction: float = 0.08) -> list[Box]:
    """Frontal faces in an RGB uint8 image, as (x, y, w, h) boxes sorted largest first.

    Parameters
    ----------
    image : ndarray
        RGB uint8 array of shape (H, W, 3).
    max_side : int
        The cascade runs on a copy scaled down so that its longer side is at most this many pixels (0 = full size);
        boxes are returned in the input's pixel grid.
    scale_factor, min_neighbors : float, int
        Passed to ``cv2.CascadeClassifier.detectMultiScale``.
    min_size_fraction : float
        Smallest face searched for, as a fraction of the image's shorter side.

    Returns
    -------
    list of (x, y, w, h)
        Integer boxes, largest area first (ties: top-left first).

    Examples
    --------
    >>> from skimage import data
    >>> boxes = detect_faces(data.astronaut())
    >>> len(boxes), 150 < boxes[0][0] < 250
    (1, True)
    """
    check_rgb_image(image)
    check_int("max_side", max_side, minimum=0)
    if not scale_factor > 1.0:
        raise ValueError(f"scale_factor must be > 1, got {scale_factor!r}")
    if not 0 <= min_size_fraction < 1:
        raise ValueError(f"min_size_fraction must be in [0, 1), got {min_size_fraction!r}")
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape
    f = 1.0
    if max_side and max(h, w) > max_side:
        f = max_side / max(h, w)
        gray = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    min_px = max(20, int(min(gray.shape) * min_size_fraction))
    found = _cascade().detectMultiScale(gray, scaleFactor=scale_factor, minNeighbors=int(min_neighbors),
                                        minSize=(min_px, min_px))
    boxes = [(int(round(x / f)), int(round(y / f)), int(round(bw / f)), int(round(bh / f))) for x, y, bw, bh in found]
    return sorted(boxes, key=lambda b: (-b[2] * b[3], b[1], b[0]))


def laplacian_variance(image: np.ndarray, box: Box | None = None, *, size: int = 128) -> float:
    """Sharpness of an image (or of a box in it): variance of the Laplacian of the grey image.

    The region is first resized to ``size`` x ``size`` pixels, so the measure does not depend on the photo's
    resolution or the face's size in it. Low values mean blur (a common rule of thumb for this normalisation:
    below about 20-50 is blurred).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sharp = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    >>> laplacian_variance(sharp) > laplacian_variance(cv2.GaussianBlur(sharp, (0, 0), 3))
    True
    """
    check_rgb_image(image)
    region = image if box is None else crop_square(image, box, margin=0.0)
    gray = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY)
    gray = cv2.resize(gray, (size, size), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def crop_square(image: np.ndarray, box: Box, *, margin: float = 0.2) -> np.ndarray:
    """Square crop centred on ``box`` = (x, y, w, h), its side ``max(w, h) * (1 + 2 * margin)``.

    Parts of the square that fall outside the image are filled by replicating the border pixels, so the crop is
    always square and centred on the face.

    Examples
    --------
    >>> img = np.zeros((100, 80, 3), np.uint8)
    >>> crop_square(img, (10, 10, 20, 30), margin=0.5).shape
    (60, 60, 3)
    """
    check_rgb_image(image)
    return crop_window(image, square_window(box, margin=margin))


def square_window(box: Box, *, margin: float = 0.2) -> Box:
    """The square (x0, y0, side, side) that :func:`crop_square` cuts for ``box``; it may leave the image.

    Examples
    --------
    >>> square_window((10, 10, 20, 30), margin=0.5)
    (-10, -5, 60, 60)
    """
    x, y, w, h = (int(v) for v in box)
    if w <= 0 or h <= 0:
        raise ValueError(f"box must have positive width and height, got {box!r}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin!r}")
    side = max(1, round(max(w, h) * (1 + 2 * margin)))
    cx, cy = x + w / 2, y + h / 2
    return round(cx - side / 2), round(cy - side / 2), side, side


def crop_window(image: np.ndarray, window: Box) -> np.ndarray:
    """Cut ``window`` = (x0, y0, w, h) out of an image of any dtype and channels, replicating border pixels where the
    window leaves the image (as :func:`crop_square` does).

    Examples
    --------
    >>> crop_window(np.arange(4, dtype=np.float32).reshape(2, 2), (-1, 0, 3, 2)).tolist()
    [[0.0, 0.0, 1.0], [2.0, 2.0, 3.0]]
    """
    x0, y0, w, h = (int(v) for v in window)
    x1, y1 = x0 + w, y0 + h
    H, W = image.shape[:2]
    pad = [max(0, -y0), max(0, y1 - H), max(0, -x0), max(0, x1 - W)]
    if any(pad):
        image = cv2.copyMakeBorder(image, pad[0], pad[1], pad[2], pad[3], cv2.BORDER_REPLICATE)
        x0, x1, y0, y1 = x0 + pad[2], x1 + pad[2], y0 + pad[0], y1 + pad[0]
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Resize an RGB image to ``size`` x ``size`` (area interpolation when shrinking, bicubic when enlarging).

    Examples
    --------
    >>> resize_square(np.zeros((30, 40, 3), np.uint8), 16).shape
    (16, 16, 3)
    """
    check_rgb_image(image)
    check_int("size", size, minimum=8)
    shrink = image.shape[0] >= size and image.shape[1] >= size
    return cv2.resize(image, (int(size), int(size)), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


__all__ = [
    "CASCADE_FILE",
    "MAX_IMAGE_PIXELS",
    "Box",
    "ImageTooLarge",
    "check_rgb_image",
    "crop_square",
    "decode_image",
    "detect_faces",
    "header_size",
    "laplacian_variance",
    "read_image",
    "resize_square",
]
