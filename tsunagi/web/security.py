"""Response headers that keep resident data out of caches, referrers and other sites."""
from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

from tsunagi.web import fonts

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

PERMISSIONS = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
               "display-capture=()")


def init_app(app: Flask) -> None:
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        # Trust exactly the configured proxies: a client cannot forge its address past them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.url_value_preprocessor
    def refuse_nul(_endpoint, _values):
        # A NUL in a path or query can reach no page and PostgreSQL refuses it in text:
        # answer 400 before any view or preprocessor queries with it.
        if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
            abort(400)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        # Same-origin only: another site never learns a page's address, while the product's
        # own form posts carry the Referer that Flask-WTF's CSRF check requires over HTTPS
        # (with "no-referrer", every form behind a TLS proxy was refused with 400).
        # No page address holds personal data; the follow-up token is in the fragment,
        # which is never sent.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # No page uses the camera, microphone, location or payments; read-aloud needs none.
        response.headers["Permissions-Policy"] = PERMISSIONS
        if request.is_secure:
            # Over HTTPS, browsers never try plain HTTP again for a year.
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        response.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/static/") and "/static/" not in request.path:
            # Resident and provider pages must never be kept by a browser or a proxy.
            response.headers["Cache-Control"] = "no-store"
        elif response.status_code == 200 and request.path.startswith(f"{app.static_url_path}/fonts/") and (
                request.path.endswith(".woff2") or request.args.get("v") == fonts.stylesheet_version()):
            # A font's address holds its package version and a font stylesheet's its hash
            # (tsunagi.web.fonts): what such an address gives never changes, so a kiosk and
            # a phone fetch each once.
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
