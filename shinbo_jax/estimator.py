"""`ShinboNMF`: a scikit-learn-style façade over :func:`fit_shinbo`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._fit import fit_shinbo
from ._solver import solve

__all__ = ["ShinboNMF"]


class ShinboNMF:
    """Sparse IS-NMF with learned row-wise penalties, scikit-learn style.

    `fit(V)` factorises a power spectrogram V (F × N) as W H with
    :func:`shinbo_jax.fit_shinbo`; `transform(V)` computes activations for new
    frames with W fixed and the learned penalties. Matrices follow the
    spectrogram convention of this package (frequencies × frames), not
    scikit-learn's samples × features.

    Args:
        n_components: K.
        random_state: integer seed for the initialisation and the bin split.
        transform_steps: MU steps used by `transform`.
        **fit_options: passed to :func:`shinbo_jax.fit_shinbo` (`outer`,
            `optimizer`, `outer_steps`, `inner_steps`, `lam0`, `schedule`, ...).

    Attributes:
        components_: W, F × K spectral profiles (after `fit`).
        lam_: learned penalties λ, length K (for V scaled to mean 1).
        history_: per-outer-step history of the fit.

    Examples:
        >>> import numpy as np
        >>> V = np.random.default_rng(0).exponential(size=(16, 50)) + 0.1
        >>> model = ShinboNMF(n_components=2, outer_steps=3, inner_steps=3,
        ...                   refit_steps=3)
        >>> H = model.fit_transform(V)
        >>> H.shape, model.components_.shape, model.lam_.shape
        ((2, 50), (16, 2), (2,))
    """

    def __init__(self, n_components: int = 2, *, random_state: int = 0,
                 transform_steps: int = 200, **fit_options):  # fmt: skip
        self.n_components = n_components
        self.random_state = random_state
        self.transform_steps = transform_steps
        self.fit_options = fit_options

    def fit(self, V, y=None) -> ShinboNMF:
        """Learn W, H and λ from V (F × N). `y` is ignored."""
        key = jax.random.key(self.random_state)
        result = fit_shinbo(V, self.n_components, key=key, **self.fit_options)
        self.components_ = np.asarray(result.W)
        self.lam_ = np.asarray(result.lam)
        self.history_ = {name: np.asarray(v) for name, v in result.history.items()}
        self._H = np.asarray(result.H)
        self._scale = float(np.mean(np.asarray(V)))
        return self

    def fit_transform(self, V, y=None) -> np.ndarray:
        """`fit(V)` and return the activations H (K × N)."""
        return self.fit(V)._H

    def transform(self, V) -> np.ndarray:
        """Activations H (K × N) of new frames V (F × N) with W and λ fixed."""
        if not hasattr(self, "components_"):
            raise ValueError(
                "This ShinboNMF is not fitted yet; call fit(V) before transform(V)."
            )
        V = jnp.asarray(V)
        scale = jnp.mean(V)
        W = jnp.asarray(self.components_, V.dtype)
        H0 = jnp.full((self.n_components, V.shape[1]), scale, V.dtype)
        sol = solve(V / scale, W, H0 / scale, jnp.asarray(self.lam_, V.dtype),
                    num_steps=self.transform_steps, update_W=False)  # fmt: skip
        return np.asarray(sol.H * scale)
