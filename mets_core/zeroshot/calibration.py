"""How `rank` turns cosines into probabilities: the softmax temperature fitted on fold 9.

The weights sidecar's `selection` (written by `mets select`) holds the fit:

- `probability_calibration = {"method": "temperature_by_list_size", "intercept": a,
  "slope_per_log_k": b, ...}`: the temperature depends on how many candidates are ranked,
  T(K) = a + b ln K (clipped to `TEMPERATURE_LIMITS`), so the shown probability of the top answer
  stays honest for short and long lists alike (a softmax over more candidates spreads the same
  cosine gaps thinner);
- otherwise `probability_temperature`: one temperature for every list (older sidecars);
- neither: the temperature learned in training (not calibrated).

Either way the probabilities are a softmax over the given candidates, so they sum to one for any
list length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mets_core.model.load import LoadedModel

LIST_SIZE_METHOD = "temperature_by_list_size"
TEMPERATURE_LIMITS = (0.002, 2.0)  # the range `mets select` searches; T(K) is clipped to it


@dataclass(frozen=True)
class ListSizeTemperature:
    """Softmax temperature as a smooth function of the number of candidates K >= 1.

    T(K) = intercept + slope_per_log_k * ln K, clipped to `TEMPERATURE_LIMITS`.
    """

    intercept: float  # T at K = 1 (before clipping)
    slope_per_log_k: float  # change of T per unit of ln K

    def temperature(self, n_candidates: int) -> float:
        """The temperature for a list of `n_candidates` (>= 1) candidates."""
        raw = self.intercept + self.slope_per_log_k * math.log(max(n_candidates, 1))
        return float(min(max(raw, TEMPERATURE_LIMITS[0]), TEMPERATURE_LIMITS[1]))

    def to_dict(self) -> dict:
        """The sidecar form (`selection.probability_calibration`)."""
        return {
            "method": LIST_SIZE_METHOD,
            "intercept": self.intercept,
            "slope_per_log_k": self.slope_per_log_k,
        }

    @classmethod
    def from_dict(cls, stored: dict) -> ListSizeTemperature:
        """Read `to_dict`'s form (extra keys such as the fit's criterion are ignored)."""
        return cls(float(stored["intercept"]), float(stored["slope_per_log_k"]))


def list_size_rule(model: LoadedModel) -> ListSizeTemperature | None:
    """The sidecar's list-size temperature rule, or None (an older sidecar, or none fitted)."""
    stored = model.weights.selection.get("probability_calibration")
    if isinstance(stored, dict) and stored.get("method") == LIST_SIZE_METHOD:
        return ListSizeTemperature.from_dict(stored)
    return None


def serving_temperature(model: LoadedModel, n_candidates: int) -> float:
    """The temperature `rank` divides a list of `n_candidates` cosines by before the softmax."""
    rule = list_size_rule(model)
    if rule is not None:
        return rule.temperature(n_candidates)
    return model.probability_temperature
