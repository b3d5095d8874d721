"""Draws the app icons (public/icons/*.png) from the favicon's design: a parcel outline on the
brand blue. Run once when the design changes: python3 tools/icons.py. No dependencies."""
import math
import struct
import zlib
from pathlib import Path

BLUE = (0x0B, 0x5C, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)
# The favicon's strokes on its 32-unit grid (public/favicon.svg).
SEGMENTS = [
    ((8, 11), (16, 7)), ((16, 7), (24, 11)), ((24, 11), (24, 21)), ((24, 21), (16, 25)),
    ((16, 25), (8, 21)), ((8, 21), (8, 11)), ((8, 11), (16, 15)), ((16, 15), (24, 11)),
    ((16, 15), (16, 25)),
]
STROKE = 2.0


def distance(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def inside_rounded(x, y, size, radius):
    cx = min(max(x, radius), size - radius)
    cy = min(max(y, radius), size - radius)
    return math.hypot(x - cx, y - cy) <= radius


def draw(size, rounded):
    scale = size / 32.0
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            x, y = (i + 0.5) / scale, (j + 0.5) / scale
            d = min(distance((x, y), a, b) for a, b in SEGMENTS)
            # Anti-aliased edge about one pixel wide.
            cover = max(0.0, min(1.0, (STROKE / 2 - d) * scale + 0.5))
            rgb = [round(BLUE[k] + (WHITE[k] - BLUE[k]) * cover) for k in range(3)]
            alpha = 255 if not rounded or inside_rounded(x, y, 32, 6) else 0
            row += bytes(rgb + [alpha])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


out = Path(__file__).resolve().parent.parent / "public" / "icons"
out.mkdir(parents=True, exist_ok=True)
for size in (192, 512):
    (out / f"icon-{size}.png").write_bytes(draw(size, rounded=True))
# Maskable: the platform cuts its own shape, so the blue fills the square.
(out / "icon-maskable-512.png").write_bytes(draw(512, rounded=False))
print("wrote", ", ".join(sorted(p.name for p in out.glob("*.png"))))
