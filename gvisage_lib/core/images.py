"""The pipeline's one photo decoder: a pixel cap read from the header, then OpenCV.

Validation (:mod:`gvisage_lib.cohort.manifest`), preprocessing (:mod:`gvisage_lib.faces.preprocess`), the privacy
guard's drawing (:func:`gvisage_lib.cohort.privacy.read_twin_photo`) and ``gvisage predict`` all decode photos with
:func:`decode_image`, so a photo that validates is one every later step reads the same way.

Examples
--------
>>> ok, buf = cv2.imencode(".png", np.zeros((4, 6, 3), np.uint8))
>>> decode_image(buf.tobytes()).shape, header_size(buf.tobytes())
((4, 6, 3), (6, 4))
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

__all__ = ["MAX_IMAGE_PIXELS", "ImageTooLarge", "alpha_share", "decode_image", "header_size", "read_image"]

#: Largest photo the pipeline decodes, in pixels (width x height): 64 megapixels, above the 61 MP of the largest
#: consumer cameras and far above what a 256-px face crop needs. The size is read from the file's header before any
#: pixel is decoded, so a decompression bomb (a small file that expands to gigabytes, e.g. a 20000x20000 PNG) is
#: refused without the memory it would take. It is below Pillow's own warning threshold (about 89.5 MP), so a
#: photo that is accepted never triggers Pillow's ``DecompressionBombWarning``.
MAX_IMAGE_PIXELS = 64_000_000


class ImageTooLarge(ValueError):
    """An image has more pixels than :data:`MAX_IMAGE_PIXELS` (a decompression bomb, or a photo to downscale)."""


def header_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` read from the image header without decoding the pixels; None if Pillow cannot identify it.

    Raises :class:`ImageTooLarge` when the header alone shows more than :data:`MAX_IMAGE_PIXELS` pixels (Pillow's
    own decompression-bomb check fires first for the largest ones; both are turned into this error).

    Examples
    --------
    >>> ok, buf = cv2.imencode(".png", np.zeros((9, 7, 3), np.uint8))
    >>> header_size(buf.tobytes())
    (7, 9)
    >>> header_size(b"not an image") is None
    True
    """
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        # Pillow warns (DecompressionBombWarning) above ~89.5 MP, over MAX_IMAGE_PIXELS anyway: the warning is left
        # to Python's filters (changing them here would not be thread-safe), and taken as "too large" where a filter
        # turns it into an exception
        with Image.open(io.BytesIO(data)) as im:
            size = (int(im.size[0]), int(im.size[1]))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(f"more than {MAX_IMAGE_PIXELS:,} pixels (the pipeline's limit; a decompression bomb or a "
                            "photo to downscale)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError):
        return None
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise ImageTooLarge(f"{size[0]}x{size[1]} = {size[0] * size[1]:,} pixels, more than {MAX_IMAGE_PIXELS:,} (the "
                            "pipeline's limit; a decompression bomb or a photo to downscale)")
    return size


def decode_image(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image file bytes (JPEG, PNG, ...) into an RGB uint8 array: the pipeline's one photo decoder.

    The pixel count is checked from the header first (:func:`header_size`, limit :data:`MAX_IMAGE_PIXELS`), then
    OpenCV decodes (``cv2.imdecode``, colour). Whatever OpenCV cannot decode is refused, Pillow's opinion
    notwithstanding: truncated JPEGs, TGA, PCX, ICO, floating-point TIFF. Validation, preprocessing and ``gvisage
    predict`` all decode through this function, so a photo that validates is a photo the pipeline can read.

    Raises
    ------
    ImageTooLarge
        More than :data:`MAX_IMAGE_PIXELS` pixels (a ``ValueError``).
    ValueError
        Not decodable by OpenCV; the message names ``name``.

    Examples
    --------
    >>> ok, buf = cv2.imencode(".png", np.zeros((9, 9, 3), np.uint8))
    >>> decode_image(buf.tobytes()).shape
    (9, 9, 3)
    >>> decode_image(buf.tobytes()[:40])
    Traceback (most recent call last):
    ...
    ValueError: image: not a readable image (OpenCV cannot decode it)
    """
    try:
        header_size(data) if data else None
    except ImageTooLarge as exc:
        raise ImageTooLarge(f"{name}: {exc}") from None
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if arr is None:
        raise ValueError(f"{name}: not a readable image (OpenCV cannot decode it)")
    if arr.shape[0] * arr.shape[1] > MAX_IMAGE_PIXELS:  # a format whose header Pillow does not read
        raise ImageTooLarge(f"{name}: {arr.shape[1]}x{arr.shape[0]} = {arr.shape[0] * arr.shape[1]:,} pixels, more "
                            f"than {MAX_IMAGE_PIXELS:,} (the pipeline's limit)")
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)


def alpha_share(data: bytes) -> float | None:
    """Share of the pixels that are not fully opaque, for an image with transparency data; None for one without.

    :func:`decode_image` reads colour only, so an alpha channel (or a palette's or PNG's transparency) is dropped:
    a transparent pixel shows whatever colour the file stores under it. Face QC notes such photos with this share
    (:mod:`gvisage_lib.faces.preprocess`). An image without transparency data is identified from its header only;
    one with it is decoded by Pillow (the pixel cap is checked first, as in :func:`decode_image`). Bytes Pillow
    cannot identify give None.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> rgba = np.zeros((4, 5, 4), np.uint8); rgba[..., 3] = 255; rgba[0, :, 3] = 0
    >>> buf = io.BytesIO(); Image.fromarray(rgba).save(buf, "PNG")
    >>> alpha_share(buf.getvalue())
    0.25
    >>> ok, jpg = cv2.imencode(".jpg", np.zeros((4, 4, 3), np.uint8))
    >>> alpha_share(jpg.tobytes()) is None
    True
    """
    import io

    from PIL import Image, UnidentifiedImageError

    if not data or header_size(data) is None:
        return None
    try:
        with Image.open(io.BytesIO(data)) as im:
            if not im.has_transparency_data:
                return None
            alpha = np.asarray(im.convert("RGBA"))[..., 3]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError):
        return None
    return float(np.mean(alpha < 255))


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as an RGB uint8 array; ValueError naming the file if it cannot be decoded.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.png"
    >>> _ = cv2.imwrite(str(p), np.zeros((5, 6, 3), np.uint8))
    >>> read_image(p).shape
    (5, 6, 3)
    """
    return decode_image(Path(path).read_bytes(), name=f"file {str(path)!r}")
