"""Draw the app's icons (two linked rings: つなぐ) as PNG files, without an image library.

Run `python -m outreach.make_icons` after changing the drawing; the PNGs are committed.
Browsers want PNG icons of at least 144 px to offer installation; "maskable" icons keep
the drawing inside the central safe zone because the launcher crops to its own shape.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
BLUE = (11, 92, 173)
WHITE = (255, 255, 255)
SAMPLES = 4  # per axis: 16 samples per pixel smooth the edges


def _inside(x: float, y: float, maskable: bool) -> tuple[bool, bool]:
    """(in the background, in a ring) for a point of the unit square."""
    if maskable:
        background = True
        x, y = 0.5 + (x - 0.5) / 0.8, 0.5 + (y - 0.5) / 0.8
    else:
        r = 0.18  # rounded corners
        cx, cy = min(max(x, r), 1 - r), min(max(y, r), 1 - r)
        background = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    ring = any(0.13 <= ((x - cx) ** 2 + (y - 0.5) ** 2) ** 0.5 <= 0.19 for cx in (0.39, 0.61))
    return background, ring and background


def _pixels(size: int, maskable: bool) -> bytes:
    rows = bytearray()
    step = 1 / (size * SAMPLES)
    for py in range(size):
        rows.append(0)  # PNG filter: none
        for px in range(size):
            bg = ring = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    b, r = _inside((px * SAMPLES + sx + 0.5) * step, (py * SAMPLES + sy + 0.5) * step, maskable)
                    bg += b
                    ring += r
            n = SAMPLES * SAMPLES
            colour = [round((BLUE[i] * (bg - ring) + WHITE[i] * ring) / bg) if bg else 0 for i in range(3)]
            rows += bytes(colour) + bytes([round(255 * bg / n)])
    return bytes(rows)


def png(size: int, maskable: bool = False) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(_pixels(size, maskable), 9)) + chunk(b"IEND", b""))


def main() -> None:
    for size in (192, 512):
        (STATIC / f"icon-{size}.png").write_bytes(png(size))
    (STATIC / "icon-maskable-512.png").write_bytes(png(512, maskable=True))


if __name__ == "__main__":
    main()
