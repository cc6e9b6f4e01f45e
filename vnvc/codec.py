"""Public coding API: `Encoder` turns frames into a .vnvc stream, `Decoder` turns it back into features or pixels.

Both run frame by frame (streaming). The encoder keeps exactly the state the decoder will have, so what
`Encoder.iter_encode` yields equals what `Decoder.decode` produces on the same device, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from .bitstream import HEADER_SIZE, BitstreamReader, BitstreamWriter, FrameRecord, FrameType, StreamFlags, StreamHeader
from .errors import BitstreamError, InputError
from .io.padding import pad_to_multiple, padded_size
from .io.source import frames_to_tensor
from .models import CodedFrame, VideoCodec
from .refinement import LatentRefinement

Until = Literal["features", "pixels"]


@dataclass
class DecodedFrame:
    """One decoded frame. `feature` is the analysis feature at the padded size (crop with [..., :height, :width]);
    `pixels` is (1, 3, height, width) in [0, 1], or None when decoding stopped at features. `num_bytes` is what
    the frame takes in the stream file: its record, and for the first frame the stream header too, so that the
    frames add up to the file."""

    index: int
    frame_type: FrameType
    feature: torch.Tensor
    pixels: torch.Tensor | None
    width: int
    height: int
    num_bytes: int


@dataclass
class EncodeStats:
    """Sizes of an encoded stream; bits per pixel are on the original (unpadded) frame size."""

    width: int
    height: int
    frame_types: list[FrameType] = field(default_factory=list)
    frame_bytes: list[int] = field(default_factory=list)
    frame_estimated_bits: list[float] = field(default_factory=list)
    stream_bytes: int = 0

    @property
    def frames(self) -> int:
        return len(self.frame_bytes)

    @property
    def bpp(self) -> float:
        return 8 * self.stream_bytes / max(1, self.frames * self.width * self.height)

    @property
    def estimated_bits(self) -> float:
        return float(sum(self.frame_estimated_bits))


class _CodingSession:
    """Shared by encoder and decoder: the model in eval mode on a device, and how decoded frames are emitted."""

    def __init__(self, model: VideoCodec, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()

    def emit(
        self, index: int, coded: CodedFrame, width: int, height: int, record: FrameRecord, until: Until
    ) -> DecodedFrame:
        pixels = None
        if until == "pixels":
            pixels = self.model.pixels(coded)[..., :height, :width]
        num_bytes = record.size + (HEADER_SIZE if index == 0 else 0)
        return DecodedFrame(
            index, coded.frame_type, self.model.machine_feature(coded), pixels, width, height, num_bytes
        )


class Encoder(_CodingSession):
    """Encode frames at a rate point (0 = lowest … num_rates-1 = highest, fractions interpolate).

    With `refinement`, each frame's latents are refined for that frame before coding (`vnvc.refinement`): slower
    encoding, the same decoder.
    """

    def __init__(
        self, model: VideoCodec, rate: float = 2, intra_period: int = 32, device: str | torch.device = "cpu",
        refinement: LatentRefinement | None = None,
    ):
        super().__init__(model, device)
        if not 0 <= rate <= model.num_rates - 1:
            raise InputError(f"rate {rate} is outside the model's range 0 … {model.num_rates - 1}")
        if intra_period < 1:
            raise InputError(f"intra period must be at least 1, got {intra_period}")
        self.rate = float(np.float32(rate))  # as the stream header stores it, so both sides use one rate
        self.intra_period = intra_period
        self.refinement = refinement if refinement is not None and refinement.steps > 0 else None
        self.checkpoint_id = model.checkpoint_id()

    @torch.inference_mode()
    def iter_encode(
        self, frames: Iterable[np.ndarray], until: Until = "features"
    ) -> Iterator[tuple[FrameRecord, DecodedFrame, CodedFrame]]:
        """Code frames one by one; yields the stream record, what the decoder will output, and the coded state."""
        reference = None
        size = None
        for index, frame in enumerate(frames):
            if size is None:
                size = frame.shape[:2]
            elif frame.shape[:2] != size:
                raise InputError(
                    f"frame {index} is {frame.shape[1]}x{frame.shape[0]}, but the video is {size[1]}x{size[0]}"
                )
            x, _ = pad_to_multiple(frames_to_tensor(frame, self.device), self.model.config.pad_multiple)
            if index % self.intra_period == 0:
                latent = self.refinement.intra(self.model, x, self.rate, size) if self.refinement else None
                coded = self.model.encode_intra(x, self.rate, latent)
            else:
                latents = self.refinement.inter(self.model, x, reference, self.rate, size) if self.refinement else None
                coded = self.model.encode_inter(x, reference, self.rate, latents)
            reference = coded.reference
            record = FrameRecord(coded.frame_type, coded.payload, coded.latent_checksum)
            yield record, self.emit(index, coded, size[1], size[0], record, until), coded

    def header(self, width: int, height: int, frame_count: int = 0) -> StreamHeader:
        padded_height, padded_width = padded_size(height, width, self.model.config.pad_multiple)
        return StreamHeader(
            checkpoint_id=self.checkpoint_id, width=width, height=height,
            padded_width=padded_width, padded_height=padded_height,
            frame_count=frame_count, intra_period=self.intra_period, rate=self.rate,
            flags=StreamFlags.ENHANCEMENT if self.model.enhancement is not None else 0,
        )

    def encode(self, frames: Iterable[np.ndarray], path: str | Path, progress: bool = False) -> EncodeStats:
        """Write a .vnvc file (atomically: nothing is left behind on error)."""
        frames = iter(frames)
        try:
            first = next(frames)
        except StopIteration:
            raise InputError("no frames to encode") from None
        height, width = first.shape[:2]
        stats = EncodeStats(width, height)
        chained = _chain(first, frames)
        with BitstreamWriter(path, self.header(width, height)) as writer:
            coded_frames = self.iter_encode(chained)
            if progress:
                from tqdm import tqdm

                coded_frames = tqdm(coded_frames, desc=f"encode {Path(path).name}", unit="frame")
            for record, decoded, coded in coded_frames:
                writer.write_frame(record)
                stats.frame_types.append(record.frame_type)
                stats.frame_bytes.append(decoded.num_bytes)
                stats.frame_estimated_bits.append(coded.estimated_bits)
        stats.stream_bytes = Path(path).stat().st_size
        return stats


def _chain(first: np.ndarray, rest: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    yield first
    yield from rest


class Decoder(_CodingSession):
    """Decode a .vnvc stream made by the same checkpoint."""

    @torch.inference_mode()
    def decode(self, stream: str | Path | bytes, until: Until = "pixels") -> Iterator[DecodedFrame]:
        reader = BitstreamReader.from_bytes(stream) if isinstance(stream, bytes) else BitstreamReader(stream)
        header = reader.header
        reader.check_checkpoint(self.model.checkpoint_id())
        self._check_header(header)
        size = (header.padded_height, header.padded_width)
        reference = None
        for index, record in enumerate(reader):
            coded = self._decode_record(index, record, size, reference, header.rate)
            reference = coded.reference
            yield self.emit(index, coded, header.width, header.height, record, until)

    def _check_header(self, header: StreamHeader) -> None:
        multiple = self.model.config.pad_multiple
        if header.padded_width % multiple or header.padded_height % multiple:
            raise BitstreamError(f"padded size {header.padded_width}x{header.padded_height} is not a multiple of "
                                 f"{multiple}")
        if not 0 <= header.rate <= self.model.num_rates - 1:
            raise BitstreamError(f"rate {header.rate} is outside the model's range 0 … {self.model.num_rates - 1}")

    def _decode_record(
        self, index: int, record: FrameRecord, size: tuple[int, int], reference: torch.Tensor | None, rate: float
    ) -> CodedFrame:
        if record.frame_type == FrameType.INTER and reference is None:
            raise BitstreamError("stream starts with an inter frame", frame=index)
        try:
            if record.frame_type == FrameType.INTRA:
                coded = self.model.decode_intra(record.payload, size, rate)
            else:
                coded = self.model.decode_inter(record.payload, size, reference, rate)
        except ValueError as exc:
            raise BitstreamError(f"entropy decoding failed: {exc}", frame=index) from exc
        if coded.latent_checksum != record.latent_checksum:
            raise BitstreamError(
                "decoded latents differ from the encoder's (checksum mismatch): this decoder's arithmetic does not "
                "match the encoder's (another device or library version?)",
                frame=index,
            )
        return coded
