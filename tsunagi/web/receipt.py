"""The receipt's QR code: SVG from the `qrcode` package, no image library needed."""
from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def follow_up_url(base_url: str, token: str) -> str:
    """The token goes in the fragment, which browsers never send to the server."""
    return f"{base_url.rstrip('/')}/f#{token}"


def qr_svg(data: str) -> str:
    """Standalone SVG: error correction M, 4-module quiet zone, scales with its box."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4,
                       image_factory=qrcode.image.svg.SvgPathImage)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.make_image().to_string(encoding="unicode")


def inline_svg(data: str, label: str) -> Markup:
    svg = qr_svg(data)
    svg = svg[svg.index("<svg"):]
    return Markup(svg.replace("<svg", f'<svg role="img" aria-label="{Markup.escape(label)}" class="qr"', 1))
