"""Errors as `application/problem+json` under /api/ and as pages in the reader's language
elsewhere. A locked database answers 503 with Retry-After, never 500."""
from __future__ import annotations

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from tsunagi.extensions import db


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not allowed here."),
        413: _("The request is too large."),
        422: _("Some answers could not be accepted."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Your answers were not lost; please try again."),
        503: _("The service is busy. Please try again in a few seconds."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str | None = None, **extra) -> Response:
    body = {"type": "about:blank", "title": _titles().get(status, str(status)), "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _error_page(status: int, message: str) -> str:
    """The error page; on a kiosk it keeps the kiosk's quick exit and idle reset."""
    kiosk = g.get("kiosk")
    if request.blueprint == "kiosk" and kiosk is not None:
        from tsunagi.locales import LOCALES

        locale = (request.view_args or {}).get("locale")
        extra = {"locale": locale} if locale in LOCALES else {}
        return render_template("kiosk/error.html", status=status, message=message, loc=kiosk,
                               in_progress=True, **extra)
    return render_template("error.html", status=status, message=message)


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if isinstance(exc, CSRFError):
            status = 400
        if wants_json():
            response = problem(status)
        else:
            response = app.make_response((_error_page(status, _titles().get(status, exc.name)), status))
        for header in ("Retry-After", "Allow"):
            if exc.get_response().headers.get(header):
                response.headers[header] = exc.get_response().headers[header]
        return response

    @app.errorhandler(OperationalError)
    def database_busy(exc: OperationalError):
        db.session.rollback()
        if "locked" in str(exc.orig).lower() or "timeout" in str(exc.orig).lower():
            error = ServiceUnavailable()
            error.retry_after = 2
            response = http_error(error)
            response.headers["Retry-After"] = "2"
            return response
        app.logger.exception("database error")
        return http_error(InternalServerError())
