"""Network building blocks shared by the codec's networks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .precision import in_float32


_GEMM_COLUMNS = 16  # MKL's SGEMM gives the same bits for any thread count when N is a multiple of this


def conv2d(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: tuple[int, int] = (1, 1),
    padding: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """`F.conv2d` whose CPU result does not depend on the number of threads (docs/ARCHITECTURE.md, determinism).

    For small inputs and 1x1 kernels PyTorch picks MKL's GEMM or oneDNN depending on size and thread count, and
    both round differently for different thread counts. Here, on CPU, larger kernels always run on oneDNN's direct
    convolution and 1x1 kernels are one matrix product per image over a column count padded to a multiple of 16:
    both measured bit-identical for 1 to 16 threads. Other devices and dtypes use `F.conv2d`.
    """
    if x.device.type != "cpu" or x.dtype != torch.float32 or not torch.backends.mkldnn.is_available():
        return F.conv2d(x, weight, bias, stride, padding)
    if weight.shape[-2:] != (1, 1):
        return torch.mkldnn_convolution(x, weight, bias, padding, stride, (1, 1), 1)
    x = x[..., :: stride[0], :: stride[1]]
    n, c, h, w = x.shape
    columns = F.pad(x.reshape(n, c, h * w), (0, -(h * w) % _GEMM_COLUMNS))
    out = torch.baddbmm(bias[:, None], weight.reshape(-1, c).expand(n, -1, -1), columns)
    return out[..., : h * w].reshape(n, -1, h, w)


class Conv2d(nn.Conv2d):
    """A square convolution padded to keep the size (at stride 1), computed by `conv2d`; parameters as nn.Conv2d."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int = 1):
        super().__init__(in_ch, out_ch, kernel_size, stride=stride, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)


def conv3x3(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return Conv2d(in_ch, out_ch, 3, stride=stride)


def conv1x1(in_ch: int, out_ch: int, stride: int = 1) -> nn.Conv2d:
    return Conv2d(in_ch, out_ch, 1, stride=stride)


@torch.no_grad()
def zero_(*convs: nn.Conv2d) -> None:
    """Zero the weights and biases of `convs` in place: a layer that starts by adding nothing."""
    for conv in convs:
        conv.weight.zero_()
        conv.bias.zero_()


def subpel_conv(in_ch: int, out_ch: int, factor: int = 2, kernel_size: int = 3) -> nn.Sequential:
    """Upsample by `factor` with a conv followed by pixel shuffle."""
    return nn.Sequential(Conv2d(in_ch, out_ch * factor**2, kernel_size), nn.PixelShuffle(factor))


class GDN(nn.Module):
    """Generalized divisive normalization (Ballé et al. 2016); `inverse=True` gives IGDN.

    y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2), with beta and gamma kept positive by squaring.
    """

    def __init__(self, channels: int, inverse: bool = False, beta_min: float = 1e-6, gamma_init: float = 0.1):
        super().__init__()
        self.inverse = inverse
        self.beta_min = beta_min
        self.beta = nn.Parameter(torch.ones(channels))
        self.gamma = nn.Parameter(gamma_init * torch.eye(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        beta = self.beta.square() + self.beta_min
        gamma = self.gamma.square()[:, :, None, None]
        norm = torch.sqrt(conv2d(x * x, gamma, beta))
        return x * norm if self.inverse else x / norm


class ResBlock(nn.Module):
    """Two 3x3 convs with leaky ReLU and an identity skip."""

    def __init__(self, channels: int, slope: float = 0.1):
        super().__init__()
        self.body = nn.Sequential(
            conv3x3(channels, channels), nn.LeakyReLU(slope), conv3x3(channels, channels), nn.LeakyReLU(slope)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class DownBlock(nn.Module):
    """Halve the resolution: strided conv, leaky ReLU, conv, GDN, plus a strided 1x1 skip."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.body = nn.Sequential(
            conv3x3(in_ch, out_ch, stride=2), nn.LeakyReLU(0.01), conv3x3(out_ch, out_ch), GDN(out_ch)
        )
        self.skip = conv1x1(in_ch, out_ch, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class UpBlock(nn.Module):
    """Double the resolution: sub-pixel conv, leaky ReLU, conv, IGDN, plus a 1x1 sub-pixel skip."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.body = nn.Sequential(
            subpel_conv(in_ch, out_ch), nn.LeakyReLU(0.01), conv3x3(out_ch, out_ch), GDN(out_ch, inverse=True)
        )
        self.skip = subpel_conv(in_ch, out_ch, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


class UNet(nn.Module):
    """A two-level U-Net with residual blocks, keeping the channel count of its input."""

    def __init__(self, channels: int):
        super().__init__()
        self.enc1 = nn.Sequential(conv3x3(channels, channels), ResBlock(channels))
        self.enc2 = nn.Sequential(conv3x3(channels, 2 * channels, stride=2), ResBlock(2 * channels))
        self.bottom = nn.Sequential(conv3x3(2 * channels, 2 * channels, stride=2), ResBlock(2 * channels))
        self.up2 = subpel_conv(2 * channels, 2 * channels)
        self.dec2 = nn.Sequential(conv3x3(4 * channels, 2 * channels), ResBlock(2 * channels))
        self.up1 = subpel_conv(2 * channels, channels)
        self.dec1 = nn.Sequential(conv3x3(2 * channels, channels), ResBlock(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        d2 = self.dec2(torch.cat([self.up2(self.bottom(e2)), e2], dim=1))
        return x + self.dec1(torch.cat([self.up1(d2), e1], dim=1))


@in_float32
def flow_warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward-warp `x` (N, C, H, W) by `flow` (N, 2, H, W) given in pixels (dx, dy)."""
    n, _, h, w = x.shape
    ys = torch.arange(h, dtype=x.dtype, device=x.device)
    xs = torch.arange(w, dtype=x.dtype, device=x.device)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    px = grid_x + flow[:, 0]
    py = grid_y + flow[:, 1]
    grid = torch.stack([2 * px / max(w - 1, 1) - 1, 2 * py / max(h - 1, 1) - 1], dim=-1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)


def downsample_flow(flow: torch.Tensor) -> torch.Tensor:
    """Halve a flow field's resolution and its displacements."""
    return F.avg_pool2d(flow, 2) * 0.5
