"""Impulsiveness and sparsity statistics: kurtosis and Hoyer sparsity."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def kurtosis(x: ArrayLike, *, excess: bool = False, axis: int = -1) -> np.ndarray:
    r"""Pearson (non-excess by default) sample kurtosis along `axis`.

    $$
    \kappa = \frac{\frac1n \sum_i (x_i - \bar x)^4}
    {\big(\frac1n \sum_i (x_i - \bar x)^2\big)^2}
    \quad (-3 \text{ if } \texttt{excess}).
    $$

    A Gaussian gives 3 (0 in excess form); impulsive signals give more. This is
    the biased moment estimator of MATLAB `kurtosis(x)` and of
    `scipy.stats.kurtosis(x, fisher=not excess, bias=True)`.

    Args:
        x: Samples; any shape.
        excess: Subtract 3 (Fisher's definition).
        axis: Axis along which to compute.

    Returns:
        The kurtosis, with `axis` removed (a 0-d array for 1-D input; use
        `float()` for a Python number).

    Raises:
        ValueError: If a slice along `axis` is constant (zero variance).

    Examples:
        >>> import numpy as np
        >>> float(kurtosis([1.0, -1.0, 1.0, -1.0]))  # two-point law: the minimum
        1.0
        >>> spike = np.zeros(100)
        >>> spike[0] = 1.0
        >>> round(float(kurtosis(spike)), 2)  # one impulse in 100 samples
        98.01

    References:
        K. Pearson, "'Das Fehlergesetz und seine Verallgemeinerungen durch Fechner
        und Pearson.' A rejoinder", Biometrika 4 (1905) 169–212.
    """
    values = np.asarray(x, dtype=float)
    centred = values - values.mean(axis=axis, keepdims=True)
    second = np.mean(centred**2, axis=axis)
    if np.any(second == 0):
        raise ValueError(
            "Kurtosis is undefined for a constant signal (zero variance). "
            "Check the input, e.g. a filter that removed everything."
        )
    fourth = np.mean(centred**4, axis=axis)
    return fourth / second**2 - (3.0 if excess else 0.0)


def hoyer_sparsity(H: ArrayLike) -> np.ndarray:
    r"""Hoyer sparsity of each row of `H` (of a 1-D array if given one).

    $$
    \sigma(h) = \frac{\sqrt n - \|h\|_1 / \|h\|_2}{\sqrt n - 1} \in [0, 1],
    $$

    for a row of n entries: 1 for a one-hot row, 0 for a constant non-zero row.
    An all-zero row has no defined sparsity and gives `nan`.

    Args:
        H: Activation matrix `(K, N)` or a single row `(N,)`, with N >= 2.

    Returns:
        Shape `(K,)` (or a 0-d array for 1-D input).

    Examples:
        >>> hoyer_sparsity([[0.0, 0.0, 5.0, 0.0], [2.0, 2.0, 2.0, 2.0]]).tolist()
        [1.0, 0.0]

    References:
        P. O. Hoyer, "Non-negative matrix factorization with sparseness
        constraints", JMLR 5 (2004) 1457–1469.
    """
    rows = np.asarray(H, dtype=float)
    if rows.ndim not in (1, 2) or rows.shape[-1] < 2:
        raise ValueError(
            f"`H` must be (K, N) or (N,) with N >= 2; got shape {rows.shape}."
        )
    n = rows.shape[-1]
    l1 = np.sum(np.abs(rows), axis=-1)
    l2 = np.sqrt(np.sum(rows**2, axis=-1))
    safe_l2 = np.where(l2 > 0, l2, 1.0)
    sparsity = (np.sqrt(n) - l1 / safe_l2) / (np.sqrt(n) - 1.0)
    return np.where(l2 > 0, sparsity, np.nan)
