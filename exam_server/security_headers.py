"""Response headers every page and API answer carries.

The Content-Security-Policy allows scripts only from this server's own files (no inline
script, no eval, nothing from elsewhere), so an injected `<script>` or `onerror=` does not
run even if escaping were ever missed. Inline style *attributes* stay allowed: KaTeX lays out
formulas with them; style elements and sheets must come from our files. Pages may not be
framed (clickjacking on the monitor's actions). HSTS is sent only where the deployment says
the site is HTTPS-only (`[security] hsts_seconds`, set in the production config); nginx sends
the same headers for the static files it serves itself.
"""

from __future__ import annotations

from flask import Flask, Response

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def headers_for(app: Flask) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    hsts = int(app.config.get("SECURITY_HSTS_SECONDS", 0) or 0)
    if hsts > 0:
        headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    return headers


def install(app: Flask) -> None:
    headers = headers_for(app)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
