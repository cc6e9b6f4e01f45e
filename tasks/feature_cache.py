"""Decoded-feature cache: code every video once with the codec and keep F̂t per frame for the task heads.

Layout (one folder per codec checkpoint, rate and encoder refinement, so none of them reuses stale features)::

    <cache_root>/<checkpoint_id hex>/rate<r>[_refine<steps>]/
        cache.json                      # checkpoint, rate, intra period, channels, per-frame bytes and bpp
        <video>.vnvc                    # the video's stream, as `vnvc encode` writes it
        <video>/<frame>.npy             # float16 (C, H, W), cropped to the original frame

A video is reused only if its frames' files and their contents (a SHA-256 of each source file) match what the cache
recorded, so another dataset whose frames have the same relative paths is coded anew, not served stale features.
Likewise the whole folder is coded anew when the encoder's code changes (a digest of the modules that decide what the
encoder writes, `encoder_digest`): a new motion search makes other streams from the same checkpoint.

``<video>/<frame>`` is the frame's image path relative to the image root with ``.npy`` for its suffix
(``vid0/img1/000001.png`` -> ``vid0/img1/000001.npy``), which is how ``LoadDecodedFeature`` finds it again.

Command line::

    python -m tasks.feature_cache --model default --rate 2 --ann-file ann.json --img-root images/ --cache-root cache/
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from vnvc.models import VideoCodec
    from vnvc.refinement import LatentRefinement

CACHE_META = "cache.json"
# The modules of vnvc whose code decides the streams (and so the features) the encoder makes from a checkpoint.
ENCODER_SOURCES = ("models", "entropy", "io/padding.py", "io/source.py", "bitstream.py", "codec.py", "layers.py",
                   "precision.py", "refinement.py")
# 2: bytes are what each frame takes in the stream file; 3: source hashes, streams; 4, 5: streams of format version 3, 4
FORMAT = "vnvc-feature-cache/5"


def encoder_digest(package_root: str | Path | None = None) -> str:
    """A SHA-256 over the source files of `ENCODER_SOURCES` (under vnvc's folder unless ``package_root`` is given).

    Any edit to them changes it, comments included: a cache rebuilt once too often costs time, a stale one is wrong.
    """
    if package_root is None:
        import vnvc

        package_root = Path(vnvc.__file__).parent
    root = Path(package_root)
    files = sorted(f for name in ENCODER_SOURCES
                   for f in ((root / name).rglob("*.py") if (root / name).is_dir() else [root / name]))
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_dir(cache_root: str | Path, checkpoint_id: bytes | str, rate: float, refine_steps: int = 0) -> Path:
    """The folder holding the features of one checkpoint at one rate (and encoder refinement, `vnvc.refinement`)."""
    key = checkpoint_id.hex() if isinstance(checkpoint_id, bytes) else checkpoint_id
    return Path(cache_root) / key / (f"rate{float(rate):g}" + (f"_refine{refine_steps}" if refine_steps else ""))


def stream_file(directory: str | Path, video: str) -> Path:
    """The .vnvc stream a cache folder keeps for a video (decode it instead of coding the video again)."""
    return Path(directory) / f"{video}.vnvc"


def feature_file(directory: str | Path, img_root: str | Path, img_path: str | Path) -> Path:
    """Where the feature of the frame stored at ``img_path`` (under ``img_root``) lives in a cache folder."""
    rel = Path(os.path.relpath(img_path, img_root))
    if rel.is_absolute() or rel.parts[:1] == ("..",):
        raise ValueError(f"frame {img_path} is not under the image root {img_root}")
    return Path(directory) / rel.with_suffix(".npy")


def read_meta(directory: str | Path) -> dict[str, Any]:
    """The cache's ``cache.json``; a missing cache raises FileNotFoundError saying how to build it."""
    path = Path(directory) / CACHE_META
    if not path.is_file():
        raise FileNotFoundError(f"no decoded-feature cache at {directory} (no {CACHE_META}): build it with "
                                "`python -m tasks.feature_cache`")
    return json.loads(path.read_text())


def videos_from_coco(ann_file: str | Path) -> dict[str, list[str]]:
    """Frames per video of a COCO-VID annotation file (images with ``video_id``/``frame_id``), in frame order.

    Keys are the videos' frame folders (``train/vid0000/img1``): unlike video names they are unique across splits.
    Values are image ``file_name``s. An image without a video is a video of its own, keyed by its file name.
    """
    data = json.loads(Path(ann_file).read_text())
    frames: dict[str, list[tuple[int, str]]] = defaultdict(list)
    folders: dict[str, set[int]] = defaultdict(set)
    for image in data["images"]:
        name = image["file_name"]
        if "video_id" in image:
            key = Path(name).parent.as_posix()
            folders[key].add(image["video_id"])
            frames[key].append((image.get("frame_id", 0), name))
        else:
            frames[name].append((0, name))
    shared = [key for key, ids in folders.items() if len(ids) > 1]
    if shared:
        raise ValueError(f"{ann_file}: videos {sorted(folders[shared[0]])} share the frame folder {shared[0]}")
    return {video: [name for _, name in sorted(items)] for video, items in frames.items()}


def videos_from_folders(img_root: str | Path) -> dict[str, list[str]]:
    """Every folder under ``img_root`` holding PNG files is a video; frames in name order, relative to the root."""
    root = Path(img_root)
    videos: dict[str, list[str]] = defaultdict(list)
    for png in sorted(root.rglob("*.png")):
        rel = png.relative_to(root)
        videos[rel.parent.as_posix()].append(rel.as_posix())
    return dict(videos)


def _read_source(path: Path) -> bytes:
    """A frame file's bytes: hashed to tie cached features to their frame, and decoded when the video is coded."""
    if not path.is_file():
        raise FileNotFoundError(f"frame {path} does not exist")
    return path.read_bytes()


def _decode_frames(sources: Iterable[bytes]) -> Iterator[np.ndarray]:
    for data in sources:
        with Image.open(io.BytesIO(data)) as image:
            yield np.asarray(image.convert("RGB"))


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_feature_cache(
    model: VideoCodec,
    videos: dict[str, list[str]],
    img_root: str | Path,
    cache_root: str | Path,
    rate: float = 2,
    intra_period: int = 32,
    device: str = "cpu",
    progress: bool = False,
    refinement: LatentRefinement | None = None,
) -> Path:
    """Code each video once with ``model`` (and ``refinement``), keep its stream and store F̂t of every frame.

    Videos already in the cache with the same frames and intra period, coded by the same encoder code, are skipped.
    Returns the cache folder.
    """
    from vnvc.bitstream import encode_stream  # the codec is only needed to build a cache, not to read one
    from vnvc.codec import Encoder

    enc = Encoder(model, rate=rate, intra_period=intra_period, device=device, refinement=refinement)
    settings = asdict(enc.refinement) if enc.refinement else None
    directory = cache_dir(cache_root, enc.checkpoint_id, rate, settings["steps"] if settings else 0)
    meta_path = directory / CACHE_META
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    encoder = encoder_digest()
    if (meta.get("format"), meta.get("encoder"), meta.get("intra_period"), meta.get("refinement")) \
            != (FORMAT, encoder, intra_period, settings):
        meta = {"format": FORMAT, "encoder": encoder, "checkpoint_id": enc.checkpoint_id.hex(), "rate": enc.rate,
                "intra_period": intra_period, "refinement": settings, "feature_channels": model.feature_channels,
                "dtype": "float16", "layout": "CHW", "videos": {}}
    img_root = Path(img_root)
    items = videos.items()
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc=f"features rate {rate:g}", unit="video")
    for video, files in items:
        cached = meta["videos"].get(video)
        sources = {file: _read_source(img_root / file) for file in files}
        hashes = {file: hashlib.sha256(data).hexdigest() for file, data in sources.items()}
        stream = stream_file(directory, video)
        if cached and [(f["file"], f.get("sha256")) for f in cached["frames"]] == list(hashes.items()) \
                and stream.is_file():
            continue
        frames, records = [], []
        for file, (record, decoded, _) in zip(files, enc.iter_encode(_decode_frames(sources.values()))):
            records.append(record)
            h, w = decoded.height, decoded.width
            npy = io.BytesIO()
            np.save(npy, decoded.feature[0, :, :h, :w].to("cpu").half().numpy())
            _atomic_write(feature_file(directory, img_root, img_root / file), npy.getvalue())
            frames.append({"file": file, "sha256": hashes[file], "type": decoded.frame_type.name,
                           "bytes": decoded.num_bytes,
                           "bpp": 8 * decoded.num_bytes / (h * w)})
        _atomic_write(stream, encode_stream(enc.header(w, h, len(records)), records))
        meta["videos"][video] = {"width": w, "height": h, "frames": frames}
        _write_meta(meta_path, meta)
    if not meta_path.is_file():
        _write_meta(meta_path, meta)
    return directory


def _write_meta(path: Path, meta: dict[str, Any]) -> None:
    frames = [f for v in meta["videos"].values() for f in v["frames"]]
    pixels = sum(v["width"] * v["height"] * len(v["frames"]) for v in meta["videos"].values())
    meta["bpp"] = 8 * sum(f["bytes"] for f in frames) / pixels if pixels else 0.0
    _atomic_write(path, json.dumps(meta, indent=1).encode())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default", help="shipped model name, checkpoint path or config:<name>")
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument("--intra-period", type=int, default=32)
    parser.add_argument("--img-root", required=True, help="folder the frames' paths are relative to")
    parser.add_argument("--ann-file", help="COCO-VID json listing the videos (default: every PNG folder)")
    parser.add_argument("--cache-root", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--refine-steps", type=int, default=0, help="encoder-side latent refinement steps per frame")
    args = parser.parse_args(argv)

    from vnvc.refinement import LatentRefinement
    from vnvc.zoo import load_model

    videos = videos_from_coco(args.ann_file) if args.ann_file else videos_from_folders(args.img_root)
    directory = build_feature_cache(load_model(args.model), videos, args.img_root, args.cache_root, args.rate,
                                    args.intra_period, args.device, progress=True,
                                    refinement=LatentRefinement(steps=args.refine_steps))
    print(directory)


if __name__ == "__main__":
    main()
