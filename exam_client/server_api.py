"""The station's side of the check-in API (`/api/v1/checkin/...` on the exam server).

The invigilator's account is used once, to obtain a device token for the room; every later call
carries only that token. Network failures and 5xx answers become `ServerUnreachable` (the
check-in stays queued); 4xx answers are final and become `ServerRejected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from pydantic import ValidationError

from exam_client.outbox import ServerRejected, ServerUnreachable
from exam_common.checkin import CheckinAnswer, CheckinRequest, describe

API = "/api/v1/checkin"
TIMEOUT = (3.0, 10.0)  # connect, read (seconds)


@dataclass(frozen=True)
class Device:
    """What the server said when it issued the token."""

    token: str
    room: dict[str, Any]
    sitting: dict[str, Any]
    invigilator: dict[str, Any]
    settings: dict[str, Any]


class ServerClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: tuple[float, float] = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._http = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._http.request(
                method, f"{self.base_url}{API}{path}", headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise ServerUnreachable(f"{type(exc).__name__}: {exc}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500:
            raise ServerUnreachable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            message = body.get("message") or body.get("error") or f"HTTP {response.status_code}"
            raise ServerRejected(f"HTTP {response.status_code}: {message}", body)
        return body

    def register_device(self, username: str, password: str, room: str, station: str) -> Device:
        """Log the invigilator in and obtain the room's device token (kept by this client)."""
        body = self._call(
            "POST",
            "/devices",
            json={"username": username, "password": password, "room": room, "station": station},
        )
        self.token = body["token"]
        return Device(
            token=body["token"],
            room=body["room"],
            sitting=body["sitting"],
            invigilator=body["invigilator"],
            settings=body.get("settings", {}),
        )

    def device(self) -> dict[str, Any]:
        """The room, sitting, invigilator and settings bound to the current token."""
        return self._call("GET", "/device")

    def roster(self) -> dict[str, Any]:
        return self._call("GET", "/roster")

    def send_checkin(self, payload: dict[str, Any] | CheckinRequest) -> dict[str, Any]:
        """Post one check-in (a queued entry's JSON or a request) and return the parsed answer.

        Both directions go through the schema the server validates with (`exam_common.checkin`):
        an entry that does not fit is refused here for good, naming its wrong fields, since the
        server would refuse it the same way; an answer that does not fit is refused too, rather
        than shown half-read (the server records a check-in idempotently, so nothing is lost)."""
        try:
            request = payload if isinstance(payload, CheckinRequest) else CheckinRequest.model_validate(payload)
        except ValidationError as exc:
            raise ServerRejected(f"invalid check-in: {describe(exc)}") from None
        body = self._call("POST", "/checkins", json=request.to_wire())
        try:
            return CheckinAnswer.model_validate(body).to_wire()
        except ValidationError as exc:
            raise ServerRejected(f"the server's answer is not a check-in answer: {describe(exc)}", body) from None
