"""The receipt: its facts in the reader's language, and its QR code (SVG from the `qrcode`
package, no image library needed)."""
from __future__ import annotations

import functools

import qrcode
from flask_babel import gettext, ngettext
from markupsafe import Markup

from tsunagi.domain import municipality, overdue
from tsunagi.domain.triage.reasons import for_residents, render_reason
from tsunagi.domain.vocabulary import JST
from tsunagi.web.dates import resident_date, resident_datetime
from tsunagi.web.extensions import db


def follow_up_url(base_url: str, token: str) -> str:
    """The token goes in the fragment, which browsers never send to the server."""
    return f"{base_url.rstrip('/')}/f#{token}"


def qr_svg(data: str) -> str:
    """Standalone SVG: error correction M, 4-module quiet zone, scales with its box.

    `qrcode` computes the modules; the SVG is one path of horizontal runs (a row's dark
    modules side by side are one rectangle), drawn here from the module matrix: about a
    third of the bytes and a tenth of the time of `qrcode`'s square-by-square drawing. The
    mask pattern is fixed: choosing it means drawing and scoring all eight, about half the
    time of a code; any mask reads (the browser tests scan the screen and the print with
    zbarimg)."""
    qr = qrcode.QRCode(version=_version(len(data.encode())), error_correction=qrcode.constants.ERROR_CORRECT_M,
                       border=4, mask_pattern=0)
    qr.add_data(data)
    qr.make(fit=False)
    matrix = qr.get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start},{y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (f'<svg width="{size}mm" height="{size}mm" version="1.1" viewBox="0 0 {size} {size}" '
            f'xmlns="http://www.w3.org/2000/svg"><path d="{"".join(runs)}"/></svg>')


@functools.lru_cache(maxsize=32)
def _version(length: int) -> int:
    """The smallest QR version for a URL of `length` bytes: every follow-up URL of a server
    has the same length, so the search over versions runs once, not once per code."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data("x" * length)
    return qr.best_fit()


def inline_svg(data: str, label: str) -> Markup:
    svg = qr_svg(data)
    svg = svg[svg.index("<svg"):]
    return Markup(svg.replace("<svg", f'<svg role="img" aria-label="{Markup.escape(label)}" class="qr"', 1))


def follow_up_address(base_url: str) -> str:
    """The follow-up page as printed for typing in: no token, the receipt code goes in the form."""
    return f"{base_url.rstrip('/')}/f"


def receipt_facts(intake, overdue_policy, locale: str) -> dict:
    """What a receipt says besides the office and the code, in the reader's language:
    the municipality, the date, whether the answers were sent, what happens next and by
    when, and the note of a first contact chosen for the resident. Nothing about needs."""
    muni = municipality.current(db.session)
    shared = intake.provider_id is not None
    office = municipality.localized(intake.provider.name, locale) if shared else ""
    if shared:
        deadline = overdue.deadline(intake, overdue_policy).astimezone(JST)
        methods = list(intake.consent.contact_methods or []) if intake.consent else []
        if intake.priority == "urgent":
            text = ngettext(
                "What happens next: your consultation is marked urgent. %(office)s is asked to read it "
                "within %(num)d hour of its opening hours, by %(when)s.",
                "What happens next: your consultation is marked urgent. %(office)s is asked to read it "
                "within %(num)d hours of its opening hours, by %(when)s.",
                overdue_policy.urgent_hours, office=office,
                when=resident_datetime(deadline, "short"))
        elif methods and "none" not in methods:
            text = ngettext(
                "What happens next: %(office)s reads your consultation and contacts you in the way you "
                "chose, within %(num)d business day, by %(when)s.",
                "What happens next: %(office)s reads your consultation and contacts you in the way you "
                "chose, within %(num)d business days, by %(when)s.",
                overdue_policy.business_days, office=office, when=resident_date(deadline.date(), "long"))
        else:
            text = ngettext(
                "What happens next: %(office)s reads your consultation within %(num)d business day, by "
                "%(when)s. You chose to contact them yourself: please call them.",
                "What happens next: %(office)s reads your consultation within %(num)d business days, by "
                "%(when)s. You chose to contact them yourself: please call them.",
                overdue_policy.business_days, office=office, when=resident_date(deadline.date(), "long"))
    else:
        text = gettext("Nothing was sent. When you are ready, call or visit the office on this receipt "
                       "yourself. With the receipt code you can follow up later.")
    notes = [render_reason(r, for_residents(gettext), locale) for r in intake.decision.get("reasons", [])
             if r["code"].startswith("first_contact_")] if shared else []
    return {
        "city": municipality.localized(muni.name, locale) if muni else "",
        "date": resident_date(intake.created_at.astimezone(JST).date(), "long"),
        "shared": shared,
        "next_step": text,
        "notes": notes,
    }
