"""Flask's signed-cookie sessions, with the signing serializer built once per app.

Flask builds a new itsdangerous serializer (key derivation included) for every request; on
the autosave path that was a tenth of a save's CPU. The secret key does not change while the
app runs, so one serializer serves every request.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CachedSerializerSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        cached = app.extensions.get("session_serializer")
        if cached is None:
            cached = super().get_signing_serializer(app)
            if cached is not None:
                app.extensions["session_serializer"] = cached
        return cached
