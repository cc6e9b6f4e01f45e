"""Video sources and sinks: PNG folders, raw YUV 4:2:0, video files (PyAV), DCVC-style dataset configs, padding."""

from vnvc.io.base import VideoSource
from vnvc.io.dataset_config import SequenceSpec, load_dataset_config
from vnvc.io.naming import NameInfo, parse_sequence_name
from vnvc.io.padding import PadInfo, crop, pad_to_multiple, padded_size
from vnvc.io.png import PngFolderSource, list_png_frames, read_png, write_png, write_png_folder
from vnvc.io.source import frames_to_tensor, open_video, tensor_to_frame
from vnvc.io.video import VideoFileSource
from vnvc.io.yuv import YuvSource, luma_plane, rgb_to_yuv420, write_yuv, yuv420_to_rgb

__all__ = [
    "NameInfo", "PadInfo", "PngFolderSource", "SequenceSpec", "VideoFileSource", "VideoSource", "YuvSource",
    "crop", "frames_to_tensor", "list_png_frames", "load_dataset_config", "open_video", "pad_to_multiple",
    "padded_size", "parse_sequence_name", "luma_plane", "read_png", "rgb_to_yuv420", "tensor_to_frame",
    "write_png", "write_png_folder", "write_yuv", "yuv420_to_rgb",
]
