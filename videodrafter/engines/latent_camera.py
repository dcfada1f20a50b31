"""Camera moves injected into the latents during sampling (no training), as in the paper.

After the first T_m denoising steps: take the scheduler's x̂0, warp it by the camera move
(each frame sees the first frame's x̂0 moved along the camera path), blend
x0 = (1-w)·x̂0 + w·warp(x̂0), and re-noise with the same noise estimate:
x_t' = α·x0 + σ·ε̂  ⇔  x_t' = x_t + α·(x0 - x̂0).
Works for DDIM-style schedulers (x̂0 = ``pred_original_sample``; α = √ᾱ of the next timestep)
and flow-matching schedulers (x̂0 = x_t − σ·v; α = 1 − σ).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from videodrafter.engines.base import LatentLayout
from videodrafter.engines.camera import camera_map
from videodrafter.script import CameraDirection, CameraMove

"""CogVideoX keeps frames before channels; Wan keeps channels before frames."""


def warp_latent_frames(anchor: torch.Tensor, move: CameraMove, frames: int) -> torch.Tensor:
    """(B, C, H, W) anchor → (B, F, C, H, W): frame f is the anchor moved to progress f/(F-1)."""
    _batch, channels, height, width = anchor.shape
    thetas = []
    for index in range(frames):
        mapping = camera_map(move, index / max(frames - 1, 1), width, height)
        thetas.append(
            [
                [mapping.scale, 0.0, 2.0 * mapping.shift_x / max(width - 1, 1)],
                [0.0, mapping.scale, 2.0 * mapping.shift_y / max(height - 1, 1)],
            ]
        )
    theta = torch.tensor(thetas, dtype=torch.float32, device=anchor.device)
    grid = F.affine_grid(theta, [frames, channels, height, width], align_corners=True)
    warped = []
    for item in anchor:
        source = item.float().unsqueeze(0).expand(frames, -1, -1, -1)
        warped.append(F.grid_sample(source, grid, mode="bilinear", padding_mode="border", align_corners=True))
    return torch.stack(warped).to(anchor.dtype)


class LatentCameraControl:
    """A ``callback_on_step_end`` that blends the camera move into x̂0; attach it to the pipeline first."""

    def __init__(
        self,
        move: CameraMove,
        layout: LatentLayout,
        *,
        start_step: int = 5,
        blend: float = 0.5,
        blend_steps: int = 1,
    ) -> None:
        self.move = move
        self.layout = layout
        self.start_step = start_step
        self.blend = blend
        self.blend_steps = blend_steps
        self.leading_frames = 0
        """Latent frames in front of the video's own that the camera leaves alone (VACE's reference frames)."""
        self.applied_at: list[int] = []
        self._last: dict[str, Any] = {}
        self._scheduler = None
        self._original_step = None

    @property
    def active(self) -> bool:
        return self.move.direction is not CameraDirection.STATIC and self.blend > 0

    def attach(self, pipe) -> None:
        """Wrap ``pipe.scheduler.step`` to record x̂0 (or the velocity) of each step."""
        scheduler = pipe.scheduler
        original = scheduler.step
        control = self

        def recording_step(*args, **kwargs):
            output = original(*args, **kwargs)
            control._record(scheduler, args, kwargs, output)
            return output

        self._scheduler, self._original_step = scheduler, original
        scheduler.step = recording_step

    def detach(self) -> None:
        if self._scheduler is not None:
            self._scheduler.__dict__.pop("step", None)
            self._scheduler = None

    def _record(self, scheduler, args, kwargs, output) -> None:
        x0 = getattr(output, "pred_original_sample", None)
        if x0 is None and isinstance(output, tuple) and len(output) > 1 and isinstance(output[1], torch.Tensor):
            x0 = output[1]
        self._last = {"x0": x0, "model_output": kwargs.get("model_output", args[0] if args else None)}

    def _blend_window(self, total_steps: int) -> range:
        start = min(max(self.start_step, 1), max(total_steps - 1, 1))
        return range(start - 1, min(start - 1 + self.blend_steps, total_steps))

    def __call__(self, pipe, step_index: int, timestep, callback_kwargs: dict) -> dict:
        if not self.active or step_index not in self._blend_window(pipe.num_timesteps):
            return callback_kwargs
        latents = callback_kwargs["latents"]
        scheduler = pipe.scheduler
        if hasattr(scheduler, "alphas_cumprod") and self._last.get("x0") is not None:
            x0_hat = self._last["x0"]
            timesteps = scheduler.timesteps
            if step_index + 1 < len(timesteps):
                alpha_bar = scheduler.alphas_cumprod[int(timesteps[step_index + 1])]
            else:
                alpha_bar = getattr(scheduler, "final_alpha_cumprod", torch.tensor(1.0))
            signal = float(torch.as_tensor(alpha_bar).sqrt())
        elif hasattr(scheduler, "sigmas") and self._last.get("model_output") is not None:
            sigma_next = float(scheduler.sigmas[min(scheduler.step_index, len(scheduler.sigmas) - 1)])
            velocity = self._last["model_output"]
            x0_hat = latents - sigma_next * velocity
            signal = 1.0 - sigma_next
        else:
            return callback_kwargs
        # Schedulers may compute x̂0 in float32 (CogVideoX's DPM does); the pipeline's latents keep their dtype.
        shifted = latents + signal * (self._blended(x0_hat) - x0_hat)
        callback_kwargs["latents"] = shifted.to(latents.dtype)
        self.applied_at.append(step_index)
        return callback_kwargs

    def _blended(self, x0_hat: torch.Tensor) -> torch.Tensor:
        """x̂0 blended with its first video frame warped along the camera path; leading frames as they are."""
        frames_first = x0_hat if self.layout == "BFCHW" else x0_hat.transpose(1, 2)
        leading, video = frames_first[:, : self.leading_frames], frames_first[:, self.leading_frames :]
        warped = warp_latent_frames(video[:, 0], self.move, video.shape[1])
        mixed = torch.cat([leading, (1 - self.blend) * video + self.blend * warped], dim=1)
        return mixed if self.layout == "BFCHW" else mixed.transpose(1, 2)
