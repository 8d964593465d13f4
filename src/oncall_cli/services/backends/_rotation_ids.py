"""Rotations addressed by name over services that address them by id (Opsgenie, JSM Operations)."""

from __future__ import annotations

from oncall_cli.errors import NotFoundError
from oncall_cli.scheduling.model import Rotation


class RotationIds:
    """The name -> id map of a schedule's rotations, read with the rotations and kept for the run."""

    schedule_name: str
    _rotation_ids: dict[str, str] | None = None

    def rotations(self) -> list[Rotation]:
        raise NotImplementedError

    def _rotation_id(self, name: str) -> str:
        """The rotation's id, reading the rotations again when the name is new; NotFoundError naming it."""
        if self._rotation_ids is None or name not in self._rotation_ids:
            self.rotations()
        assert self._rotation_ids is not None
        if name not in self._rotation_ids:
            raise NotFoundError(
                f"no rotation {name!r} in schedule {self.schedule_name!r}",
                hint="List them with `oncall rotation list`.",
            )
        return self._rotation_ids[name]
