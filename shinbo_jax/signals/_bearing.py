"""Rolling-bearing characteristic defect frequencies from geometry and speed."""

from __future__ import annotations

import math
from typing import NamedTuple


class BearingFrequencies(NamedTuple):
    """Characteristic defect frequencies of a rolling bearing, in Hz.

    Attributes:
        bpfo: Ball-pass frequency, outer race.
        bpfi: Ball-pass frequency, inner race.
        bsf: Ball (rolling-element) spin frequency; *not* 2 × BSF.
        ftf: Fundamental train (cage) frequency.
    """

    bpfo: float
    bpfi: float
    bsf: float
    ftf: float


class BearingGeometry(NamedTuple):
    """Geometry of a rolling bearing (diameters in any one unit).

    Attributes:
        name: Human-readable designation.
        n_elements: Number of rolling elements.
        ball_diameter: Rolling-element diameter d.
        pitch_diameter: Pitch diameter D.
        contact_angle_deg: Contact angle φ in degrees.

    Examples:
        >>> geometry = BearingGeometry("test", 9, 0.3126, 1.537)
        >>> round(geometry.frequencies(10.0).bpfo, 3)
        35.848
    """

    name: str
    n_elements: int
    ball_diameter: float
    pitch_diameter: float
    contact_angle_deg: float = 0.0

    def frequencies(self, shaft_hz: float) -> BearingFrequencies:
        """Returns the defect frequencies at shaft speed `shaft_hz` (Hz).

        Args:
            shaft_hz: Shaft rotation frequency in Hz.

        Returns:
            See :func:`bearing_frequencies`.
        """
        return bearing_frequencies(
            shaft_hz,
            self.n_elements,
            self.ball_diameter,
            self.pitch_diameter,
            self.contact_angle_deg,
        )


def bearing_frequencies(
    shaft_hz: float,
    n_elements: int,
    ball_diameter: float,
    pitch_diameter: float,
    contact_angle_deg: float = 0.0,
) -> BearingFrequencies:
    r"""Computes the kinematic defect frequencies of a bearing with a fixed outer race.

    With shaft frequency $f_r$, $n$ elements and ratio $\rho = (d / D) \cos\varphi$:

    $$
    \mathrm{FTF} = \tfrac{f_r}{2}(1 - \rho), \quad
    \mathrm{BPFO} = \tfrac{n f_r}{2}(1 - \rho), \quad
    \mathrm{BPFI} = \tfrac{n f_r}{2}(1 + \rho), \quad
    \mathrm{BSF} = \tfrac{D f_r}{2 d}(1 - \rho^2).
    $$

    These assume rolling without slip; real lines sit 1–2 % lower.

    Args:
        shaft_hz: Shaft (inner-race) rotation frequency f_r in Hz, >= 0.
        n_elements: Number of rolling elements n, >= 1.
        ball_diameter: Rolling-element diameter d (same unit as D), > 0.
        pitch_diameter: Pitch diameter D, > d.
        contact_angle_deg: Contact angle φ in degrees, in [0, 90).

    Returns:
        A :class:`BearingFrequencies` in Hz.

    Raises:
        ValueError: If the geometry is impossible (the message names the value).

    Examples:
        CWRU drive-end bearing (SKF 6205) at 1797 rpm:

        >>> lines = bearing_frequencies(1797 / 60, 9, 0.3126, 1.537)
        >>> round(lines.bpfo, 2), round(lines.bpfi, 2)
        (107.36, 162.19)

    References:
        R. B. Randall, J. Antoni, "Rolling element bearing diagnostics — A
        tutorial", MSSP 25 (2011) 485–520.
    """
    if shaft_hz < 0:
        raise ValueError(f"`shaft_hz` must be >= 0; got {shaft_hz}. Pass rpm / 60.")
    if n_elements < 1 or int(n_elements) != n_elements:
        raise ValueError(f"`n_elements` must be a positive integer; got {n_elements}.")
    if not 0 < ball_diameter < pitch_diameter:
        raise ValueError(
            f"Need 0 < `ball_diameter` < `pitch_diameter`; got {ball_diameter} and "
            f"{pitch_diameter}. Check the order and the units of the diameters."
        )
    if not 0 <= contact_angle_deg < 90:
        raise ValueError(
            f"`contact_angle_deg` must be in [0, 90); got {contact_angle_deg}. "
            "Pass degrees, not radians."
        )
    ratio = ball_diameter / pitch_diameter * math.cos(math.radians(contact_angle_deg))
    half_speed = 0.5 * shaft_hz
    return BearingFrequencies(
        bpfo=n_elements * half_speed * (1.0 - ratio),
        bpfi=n_elements * half_speed * (1.0 + ratio),
        bsf=pitch_diameter / (2.0 * ball_diameter) * shaft_hz * (1.0 - ratio**2),
        ftf=half_speed * (1.0 - ratio),
    )


BEARINGS: dict[str, BearingGeometry] = {
    # CWRU drive-end bearing; diameters in inches.
    "6205": BearingGeometry("SKF 6205-2RS JEM", 9, 0.3126, 1.537, 0.0),
    # MFPT test rig bearing; diameters in inches.
    "mfpt": BearingGeometry("NICE (MFPT rig)", 8, 0.235, 1.245, 0.0),
}
"""Built-in bearing geometries, keyed by short name (see the data README)."""
