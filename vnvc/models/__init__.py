"""VNVC networks: I-frame codec, feature-loop inter-frame codec, reconstruction and enhancement."""

from .config import CodecConfig, load_codec_config
from .video_codec import CodedFrame, FrameOutput, VideoCodec

__all__ = ["CodecConfig", "CodedFrame", "FrameOutput", "VideoCodec", "load_codec_config"]
