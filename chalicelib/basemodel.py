"""The base of every pydantic model in the app.

``defer_build`` postpones building each model's validator until it is first used, so a cold
start pays only for the models its first request touches rather than for all of them at import.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Model"]


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
