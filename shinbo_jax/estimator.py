"""`ShinboNMF`: a scikit-learn-style façade over :func:`fit_shinbo`."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._fit import fit_shinbo
from ._solver import solve

__all__ = ["ShinboNMF"]


class ShinboNMF:
    r"""Sparse IS-NMF with learned row-wise penalties, scikit-learn style.

    `fit(V)` factorises a power spectrogram V (F × N) as W H with
    :func:`shinbo_jax.fit_shinbo`, which solves

    $$
    \min_\lambda E\big(W, H_T(\lambda), \lambda\big), \qquad
    H_T(\lambda) \approx \arg\min_{W, H \ge 0}
        D_{IS}(V \mid WH) + \sum_k \lambda_k \|h_k\|_1 ;
    $$

    `transform(V)` computes activations for new frames with W fixed and the
    learned penalties. Matrices follow the spectrogram convention of this
    package (frequencies × frames), not scikit-learn's samples × features.

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

    References:
        L. Selicato, F. Esposito, A. Ang, N. Del Buono and R. Zdunek, "Sparse
        hyperparametric Itakura-Saito nonnegative matrix factorization via
        bi-level optimization", arXiv:2502.17123 (2025).
    """

    def __init__(self, n_components: int = 2, *, random_state: int = 0,
                 transform_steps: int = 200, **fit_options: Any) -> None:  # fmt: skip
        self.n_components = n_components
        self.random_state = random_state
        self.transform_steps = transform_steps
        self.fit_options = fit_options

    def fit(self, V: ArrayLike, y: Any = None) -> ShinboNMF:
        """Learn W, H and λ from V with :func:`shinbo_jax.fit_shinbo`.

        Args:
            V: power spectrogram, F × N, nonnegative.
            y: ignored (scikit-learn convention).

        Returns:
            The fitted estimator itself.
        """
        key = jax.random.key(self.random_state)
        result = fit_shinbo(V, self.n_components, key=key, **self.fit_options)
        self.components_ = np.asarray(result.W)
        self.lam_ = np.asarray(result.lam)
        self.history_ = {name: np.asarray(v) for name, v in result.history.items()}
        self._H = np.asarray(result.H)
        self._scale = float(np.mean(np.asarray(V)))
        return self

    def fit_transform(self, V: ArrayLike, y: Any = None) -> np.ndarray:
        """`fit(V)` and return the activations H.

        Args:
            V: power spectrogram, F × N, nonnegative.
            y: ignored (scikit-learn convention).

        Returns:
            H, K × N, in the scale of V.
        """
        return self.fit(V)._H

    def transform(self, V: ArrayLike) -> np.ndarray:
        """Activations of new frames with W and λ fixed.

        Runs `transform_steps` MU steps of :func:`shinbo_jax.solve` with
        `update_W=False` from a flat H, on V scaled to mean 1 (where λ is
        defined).

        Args:
            V: power spectrogram of new frames, F × N', with the F of `fit`.

        Returns:
            H, K × N', in the scale of V.

        Raises:
            ValueError: if the estimator is not fitted yet.
        """
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
