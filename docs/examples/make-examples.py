#!/usr/bin/env python3
"""Draws the example images the docs' curl lines upload: dark strokes of a round pen on a white canvas,
written as 8-bit grey PNGs with nothing but the standard library. Run from anywhere; writes beside itself.

    digit.png    a 3          digit-7.png  a 7          letter-k.png  the letter K
    number.png   2024 written in one line on a wide canvas
    infer.json   an Open Inference Protocol request: a 3 drawn at 28x28, normalised as the model expects
"""
import json
import math
import os
import struct
import zlib


def polyline(*points):
    return [(points[i - 1], points[i]) for i in range(1, len(points))]


def ellipse(cx, cy, rx, ry, n=24):
    ring = [(cx + rx * math.cos(2 * math.pi * i / n), cy + ry * math.sin(2 * math.pi * i / n)) for i in range(n + 1)]
    return polyline(*ring)


# Strokes in a unit box (x right, y down), as tests/server/test_images.cpp draws them.
STROKES = {
    "0": ellipse(0.5, 0.5, 0.42, 0.5),
    "2": polyline((0.12, 0.25), (0.3, 0.03), (0.7, 0.03), (0.88, 0.25), (0.8, 0.47), (0.12, 1.0), (0.92, 1.0)),
    "3": polyline((0.15, 0.04), (0.85, 0.04), (0.45, 0.45), (0.82, 0.6), (0.86, 0.85), (0.6, 1.0), (0.12, 0.94)),
    "4": polyline((0.55, 0.0), (0.05, 0.62), (0.6, 0.62)) + polyline((0.76, 0.1), (0.76, 1.0)),
    "7": polyline((0.08, 0.0), (0.92, 0.0), (0.4, 1.0)),
    "K": polyline((0.15, 0.0), (0.15, 1.0)) + polyline((0.85, 0.0), (0.18, 0.55)) + polyline((0.4, 0.38), (0.9, 1.0)),
}


def draw(width, height, glyphs, pen):
    """glyphs: (character, box x, box y, box width, box height) in pixels; pen: stroke width in pixels."""
    ink = [[0.0] * width for _ in range(height)]
    for char, bx, by, bw, bh in glyphs:
        for (x0, y0), (x1, y1) in STROKES[char]:
            ax, ay, cx, cy = bx + x0 * bw, by + y0 * bh, bx + x1 * bw, by + y1 * bh
            dx, dy = cx - ax, cy - ay
            length2 = dx * dx + dy * dy
            for y in range(max(0, int(min(ay, cy) - pen)), min(height, int(max(ay, cy) + pen) + 1)):
                for x in range(max(0, int(min(ax, cx) - pen)), min(width, int(max(ax, cx) + pen) + 1)):
                    px, py = x + 0.5, y + 0.5
                    t = 0.0 if length2 == 0 else min(1.0, max(0.0, ((px - ax) * dx + (py - ay) * dy) / length2))
                    d = math.hypot(px - (ax + t * dx), py - (ay + t * dy))
                    ink[y][x] = max(ink[y][x], min(1.0, max(0.0, pen / 2 + 0.5 - d)))
    return [bytes(round(255 * (1 - v)) for v in row) for row in ink]


def write_png(path, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)  # 8-bit grey
    data = zlib.compress(b"".join(b"\0" + row for row in rows), 9)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b""))


here = os.path.dirname(os.path.abspath(__file__))
write_png(os.path.join(here, "digit.png"), draw(200, 200, [("3", 60, 30, 80, 140)], 18))
write_png(os.path.join(here, "digit-7.png"), draw(200, 200, [("7", 60, 30, 80, 140)], 18))
write_png(os.path.join(here, "letter-k.png"), draw(200, 200, [("K", 50, 30, 100, 140)], 18))
write_png(os.path.join(here, "number.png"),
          draw(600, 200, [(c, 70 + 125 * i, 40, 80, 120) for i, c in enumerate("2024")], 16))

# The 28x28 input itself (ink = 1), normalised with MNIST's mean and std as GET /model gives them.
pixels = [1 - v / 255 for row in draw(28, 28, [("3", 8, 4, 12, 20)], 2.5) for v in row]
request = {"id": "1", "inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32",
                                  "data": [round((x - 0.1307) / 0.3081, 4) for x in pixels]}]}
with open(os.path.join(here, "infer.json"), "w") as f:
    json.dump(request, f)
