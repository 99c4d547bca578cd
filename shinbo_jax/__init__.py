r"""shinbo-jax: sparse Itakura-Saito NMF with learned row-wise penalties (SHINBO).

Notation (used in code and docs alike):

| symbol | code | meaning |
| --- | --- | --- |
| $V \in \mathbb R_+^{F \times N}$ | `V` | power spectrogram, F frequencies × N frames |
| $W \in \mathbb R_+^{F \times K}$ | `W` | spectral profiles, unit ℓ1 columns |
| $H \in \mathbb R_+^{K \times N}$ | `H` | activations; row $h_k$ is component k |
| $\hat V = WH$ | `V_hat` | the model, floored at `eps` |
| $\lambda \in \mathbb R_+^K$ | `lam` | one sparsity penalty per row of H |
| $\beta$ | `beta` | β-divergence (0 = Itakura-Saito) |
| $\gamma$ | `gamma` | MU exponent ("mm" = 1/(2−β) for β < 1) |
| $T$ | `num_steps` | MU steps of the inner solver |
| $M$ | `mask` | bin weights (train/validation split) |
"""

from ._divergence import (
    beta_divergence as beta_divergence,
    default_eps as default_eps,
    relative_floor as relative_floor,
)
from ._fit import (
    FitResult as FitResult,
    fit_fixed_penalty as fit_fixed_penalty,
    fit_mu as fit_mu,
    fit_shinbo as fit_shinbo,
    grid_search as grid_search,
    shinbo_budget as shinbo_budget,
)
from ._hypergrad import (
    explicit_forward_hypergradient as explicit_forward_hypergradient,
    hypergradient as hypergradient,
)
from ._outer import (
    envsi_objective as envsi_objective,
    holdout_objective as holdout_objective,
    kurtosis_objective as kurtosis_objective,
    reconstruction_objective as reconstruction_objective,
)
from ._solver import (
    NonFiniteError as NonFiniteError,
    Solution as Solution,
    init_factors as init_factors,
    solve as solve,
)
from ._sweep import (
    SweepPlan as SweepPlan,
    SweepResult as SweepResult,
    plan_sweep as plan_sweep,
    sweep as sweep,
    sweep_config_bytes as sweep_config_bytes,
)
from ._updates import (
    DiversityPenalty as DiversityPenalty,
    L1Penalty as L1Penalty,
    Penalty as Penalty,
    mu_exponent as mu_exponent,
)
from .estimator import ShinboNMF as ShinboNMF

__version__ = "0.1.0"
