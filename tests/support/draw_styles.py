#!/usr/bin/env python3
"""Draws digits in the ways people write them that MNIST's writers seldom did: a 1 with a flag or a foot
serif, a 7 with a bar, an open 4, a 9 with a straight stem, a 2 with a loop, ... and a slashed 0. Each style
is a stroke model of its own in a unit box (x right, y down), drawn with a round pen (docs/examples/
make-examples.py) of a random width, slanted, jittered, sized and placed at random, on a white canvas or
as a small low-resolution scan. The trainer draws its own styles (trainer/synth/styles.cpp) from other
stroke models: these are the test's, written apart so that the suite measures the styles, not a renderer.

    draw_styles.py list [--all]              the styles the models are taught (--all: and the correction
                                             loop's), one per line: name and digit
    draw_styles.py STYLE N SEED OUT_DIR      N images of STYLE as OUT_DIR/STYLE-000.png ...
"""
import importlib.util
import math
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("examples", os.path.join(here, "../../docs/examples/make-examples.py"))
examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(examples)
polyline, ellipse = examples.polyline, examples.ellipse


def arc(cx, cy, rx, ry, a0, a1, n=16):
    """An arc from angle a0 to a1 (radians, y down: pi/2 points down)."""
    return polyline(*[(cx + rx * math.cos(a0 + (a1 - a0) * i / n), cy + ry * math.sin(a0 + (a1 - a0) * i / n))
                      for i in range(n + 1)])


def u(rng, lo, hi):
    return rng.uniform(lo, hi)


def one_flag(rng, length):
    x = 0.6 + u(rng, -0.05, 0.05)
    top = u(rng, 0.0, 0.06)
    drop = length * u(rng, 0.6 if length > 0.25 else 0.5, 1.0)  # a flag falls; a 7's bar lies flat
    return x, polyline((x - length, top + drop), (x, top), (x + u(rng, -0.06, 0.06), 1.0))


def one_foot(rng, x_bottom):
    w = u(rng, 0.18, 0.26)
    return polyline((x_bottom - w, 1.0), (x_bottom + w, 1.0))


def one_short_flag(rng):
    return one_flag(rng, u(rng, 0.12, 0.22))[1]


def one_long_flag(rng):
    return one_flag(rng, u(rng, 0.28, 0.42))[1]


def one_foot_serif(rng):
    x = 0.55 + u(rng, -0.05, 0.05)
    bottom = x + u(rng, -0.05, 0.05)
    return polyline((x, 0.0), (bottom, 1.0)) + one_foot(rng, bottom)


def one_flag_and_foot(rng):
    strokes = one_flag(rng, u(rng, 0.15, 0.42))[1]
    return strokes + one_foot(rng, strokes[-1][1][0])


def seven_crossbar(rng):
    top, left, right, bx = u(rng, 0.0, 0.05), u(rng, 0.05, 0.15), u(rng, 0.85, 0.95), u(rng, 0.3, 0.45)
    y = u(rng, 0.45, 0.58)
    xm = right + (bx - right) * (y - top) / (1.0 - top)
    w = u(rng, 0.16, 0.26)
    return polyline((left, top + u(rng, -0.03, 0.03)), (right, top), (bx, 1.0)) + \
        polyline((xm - w, y + u(rng, -0.03, 0.03)), (xm + w, y + u(rng, -0.03, 0.03)))


def seven_curved_stem(rng):
    top, left, right = u(rng, 0.0, 0.05), u(rng, 0.05, 0.15), u(rng, 0.85, 0.95)
    bend = u(rng, 0.1, 0.25)
    stem = [(right + (0.35 - right) * t + bend * math.sin(math.pi * t), top + (1.0 - top) * t)
            for t in (i / 10 for i in range(11))]
    return polyline((left, top), *stem)


def four_open_top(rng):
    x, bar = u(rng, 0.62, 0.72), u(rng, 0.55, 0.65)
    return polyline((u(rng, 0.12, 0.25), 0.0), (u(rng, 0.05, 0.12), bar), (0.95, bar + u(rng, -0.03, 0.03))) + \
        polyline((x, u(rng, 0.0, 0.15)), (x + u(rng, -0.05, 0.05), 1.0))


def four_closed_top(rng):
    x, bar = u(rng, 0.62, 0.72), u(rng, 0.55, 0.65)
    return polyline((x, 0.0), (u(rng, 0.02, 0.1), bar), (0.95, bar)) + polyline((x, 0.0), (x + u(rng, -0.04, 0.04), 1.0))


def nine_straight_stem(rng):
    rx, ry, cy = u(rng, 0.3, 0.38), u(rng, 0.2, 0.26), u(rng, 0.25, 0.3)
    x = 0.5 + rx
    return ellipse(0.5, cy, rx, ry) + polyline((x, cy), (x + u(rng, -0.12, 0.0), 1.0))


def nine_curled(rng):
    rx, ry, cy = u(rng, 0.3, 0.38), u(rng, 0.2, 0.26), u(rng, 0.25, 0.3)
    x = 0.5 + rx
    return ellipse(0.5, cy, rx, ry) + polyline((x, cy), (x - 0.02, 0.7)) + \
        arc(x - 0.3, 0.7, 0.28, 0.3, 0.0, 0.85 * math.pi)


def two_loop_foot(rng):
    loop = u(rng, 0.08, 0.14)
    return arc(0.5, 0.3, 0.36, 0.28, math.pi * 1.05, math.pi * 2.1) + \
        polyline((0.84, 0.38), (0.25, 0.9)) + arc(0.25 + loop, 0.9, loop, loop * 0.8, math.pi, -0.2 * math.pi) + \
        polyline((0.25 + loop * 1.6, 0.92), (0.92, 0.95 + u(rng, -0.04, 0.04)))


def three_flat_top(rng):
    return polyline((u(rng, 0.12, 0.22), 0.02), (u(rng, 0.8, 0.9), 0.02), (0.42, u(rng, 0.38, 0.45))) + \
        arc(0.48, 0.7, 0.38, 0.28, -0.55 * math.pi, 0.8 * math.pi)


def eight_stacked_loops(rng):
    top, bottom = u(rng, 0.2, 0.26), u(rng, 0.24, 0.3)
    mid = 2 * top
    return ellipse(0.5 + u(rng, -0.04, 0.04), top, u(rng, 0.22, 0.3), top) + \
        ellipse(0.5 + u(rng, -0.04, 0.04), mid + bottom, u(rng, 0.3, 0.38), bottom)


def zero_open(rng):
    gap = u(rng, 0.25, 0.45)
    start = -0.5 * math.pi + gap / 2
    return arc(0.5, 0.5, u(rng, 0.34, 0.42), 0.5, start, start + 2 * math.pi - gap, 24)


def six_open(rng):
    r = u(rng, 0.3, 0.36)
    return arc(0.5, 1.0 - r, r, r, 0.0, 2 * math.pi * u(rng, 0.8, 0.92), 20) + \
        polyline((0.5 - r, 1.0 - r), (0.5 - r * 0.6, 0.3), (0.62 + u(rng, -0.05, 0.1), 0.0))


def zero_slashed(rng):
    rx, ry, cx = u(rng, 0.32, 0.45), u(rng, 0.44, 0.5), 0.5 + u(rng, -0.03, 0.03)
    over, a = u(rng, 0.0, 0.12), u(rng, 0.75, 1.0)
    return ellipse(cx, 0.5, rx, ry) + polyline((cx + rx * a + over * 0.6, 0.5 - ry * a - over),
                                               (cx - rx * a - over * 0.6, 0.5 + ry * a + over))


# The slant moves a glyph's top right (positive) or left. A 1 with a long flag leans no more than a little
# to the right: its stem falling to the left under a long flag is a 7, what a person reads.
SLANTS = {"one-long-flag": (-0.25, 0.06), "one-flag-and-foot": (-0.25, 0.1)}

STYLES = {  # name: (digit, stroke model)
    "one-short-flag": ("1", one_short_flag),
    "one-long-flag": ("1", one_long_flag),
    "one-foot-serif": ("1", one_foot_serif),
    "one-flag-and-foot": ("1", one_flag_and_foot),
    "seven-crossbar": ("7", seven_crossbar),
    "seven-curved-stem": ("7", seven_curved_stem),
    "four-open-top": ("4", four_open_top),
    "four-closed-top": ("4", four_closed_top),
    "nine-straight-stem": ("9", nine_straight_stem),
    "nine-curled": ("9", nine_curled),
    "two-loop-foot": ("2", two_loop_foot),
    "three-flat-top": ("3", three_flat_top),
    "eight-stacked-loops": ("8", eight_stacked_loops),
    "zero-open": ("0", zero_open),
    "six-open": ("6", six_open),
}
# Drawn for the correction loop (scripts/finetune-loop.sh), a style none of the models is taught.
CORRECTION_STYLES = {"zero-slashed": ("0", zero_slashed)}


def transformed(strokes, rng, slants):
    """The strokes slanted, stretched and jittered as a hand would."""
    slant, stretch = u(rng, *slants), u(rng, 0.8, 1.15)
    jitter = [(u(rng, -0.025, 0.025), u(rng, -0.025, 0.025)) for _ in range(64)]

    def move(p, k):
        x, y = p
        dx, dy = jitter[k % len(jitter)]
        return (0.5 + (x - 0.5) * stretch + slant * (0.5 - y) + dx, y + dy)
    return [(move(a, 2 * i), move(b, 2 * i + 1)) for i, (a, b) in enumerate(strokes)]


def draw_one(style, rng):
    digit, model = {**STYLES, **CORRECTION_STYLES}[style]
    examples.STROKES[digit] = transformed(model(rng), rng, SLANTS.get(style, (-0.25, 0.25)))
    if rng.random() < 0.25:  # a small scan: a few pixels of pen on a canvas of 40-60 px
        side = rng.randint(40, 60)
        h = side * u(rng, 0.6, 0.75)
        w = h * 0.7
        return examples.draw(side, side, [(digit, (side - w) / 2, (side - h) / 2, w, h)], u(rng, 2.2, 4.0))
    side = rng.randint(160, 280)
    h = side * u(rng, 0.5, 0.75)
    w = h * 0.72
    x, y = u(rng, 0.1 * side, side - w - 0.1 * side), u(rng, 0.08 * side, side - h - 0.08 * side)
    rows = examples.draw(side, side, [(digit, x, y, w, h)], h * u(rng, 0.05, 0.11))
    return on_paper(rows, rng) if rng.random() < 0.4 else rows


def on_paper(rows, rng):
    """The canvas as a phone photo of paper: uneven light, grey ink, grain."""
    n = len(rows)
    light, ink = u(rng, 0.6, 0.92), u(rng, 0.08, 0.35)
    gx, gy = u(rng, -0.2, 0.2) / n, u(rng, -0.2, 0.2) / n
    out = []
    for y, row in enumerate(rows):
        line = bytearray(n)
        for x, v in enumerate(row):
            cover = 1.0 - v / 255.0
            paper = light + gx * (x - n / 2) + gy * (y - n / 2)
            grey = paper * (1 - cover) + ink * cover + rng.gauss(0.0, 0.025)
            line[x] = max(0, min(255, round(255 * grey)))
        out.append(bytes(line))
    return out


def main():
    if sys.argv[1:2] == ["list"]:
        listed = {**STYLES, **CORRECTION_STYLES} if sys.argv[2:] == ["--all"] else STYLES
        for name, (digit, _) in listed.items():
            print(name, digit)
        return
    style, count, seed, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if style not in STYLES and style not in CORRECTION_STYLES:
        sys.exit(f"draw_styles.py: no style {style!r} (draw_styles.py list)")
    rng = random.Random(f"{style}:{seed}")
    os.makedirs(out, exist_ok=True)
    for i in range(count):
        examples.write_png(os.path.join(out, f"{style}-{i:03d}.png"), draw_one(style, rng))


if __name__ == "__main__":
    main()
