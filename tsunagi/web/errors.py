"""Errors as `application/problem+json` under /api/ and as pages in the reader's language
elsewhere. A locked database answers 503 with Retry-After, never 500.

Each blueprint maps the domain's exceptions to its own kind of answer once
(`register_problems` for the JSON API, `register_page` for the kiosk's error page), so no
view needs a try/except of its own.
"""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from tsunagi.web.extensions import db

PageRenderer = Callable[[int, str], "str | None"]


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


def register_problems(bp: Blueprint, mapping: dict[type[Exception], Callable[[Exception], Response]]) -> None:
    """Answer each domain exception raised in `bp`'s views with its problem. The unit of
    work is rolled back first: nothing half done is committed later."""
    for exc_type, answer in mapping.items():
        def handle(exc: Exception, answer=answer) -> Response:
            db.session.rollback()
            return answer(exc)

        bp.register_error_handler(exc_type, handle)


def register_page(bp: Blueprint, render: PageRenderer) -> None:
    """Error pages of `bp` come from `render(status, message)` (None: the plain page)."""
    bp.record_once(lambda state: state.app.extensions.setdefault("tsunagi.error_pages", {})
                   .__setitem__(bp.name, render))


def page(status: int, message: str | None = None) -> Response:
    """The error page for `status` in the blueprint's own style, as a response."""
    message = message or _titles().get(status, str(status))
    render = current_app.extensions.get("tsunagi.error_pages", {}).get(request.blueprint)
    body = render(status, message) if render else None
    return current_app.make_response((body or render_template("error.html", status=status, message=message),
                                      status))


def init_app(app: Flask) -> None:
    @app.before_request
    def pages_take_form_data():
        """The pages' forms post form data. Flask-WTF reads a JSON body as a form's fields
        (and fails on one that is not an object): a page refuses JSON as a bad request."""
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json and not wants_json():
            abort(400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if isinstance(exc, CSRFError):
            status = 400
        response = problem(status) if wants_json() else page(status, _titles().get(status, exc.name))
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
