#!/usr/bin/env python3
"""Draws N images of a 1 written with a long flag (and, half the time, a foot serif), as much of Europe
writes it: a style MNIST's writers seldom used, which the shipped model reads as 7 a good part of the time.
Round pens of 10-22 px on a 280x280 white canvas, with jitter. Usage: draw_flagged_ones.py N SEED OUT_DIR"""
import importlib.util
import os
import random
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("examples", os.path.join(here, "../../docs/examples/make-examples.py"))
examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(examples)

count, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
os.makedirs(out, exist_ok=True)
for i in range(count):
    flag = rng.uniform(0.35, 0.5)
    top = rng.uniform(0.0, 0.08)
    x = 0.6 + rng.uniform(-0.05, 0.05)
    slant = rng.uniform(-0.08, 0.08)
    strokes = examples.polyline((x - flag, top + flag * rng.uniform(0.5, 0.8)), (x, top), (x + slant, 1.0))
    if rng.random() < 0.5:
        strokes += examples.polyline((x + slant - 0.22, 1.0), (x + slant + 0.22, 1.0))
    examples.STROKES["1"] = strokes
    examples.write_png(os.path.join(out, f"one-{i:03d}.png"), examples.draw(280, 280, [("1", 70, 40, 150, 200)], rng.randint(10, 22)))
