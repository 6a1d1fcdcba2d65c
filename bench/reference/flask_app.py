"""The design digit-server replaced, for bench/compare_gunicorn.sh: Flask + PyTorch, DigitNet (the SPEC's
reference network, the same one compare_torch.py times), the upload opened with Pillow, turned grey, resized
to 28x28 and normalised, one inference per request. Serves the same /predict contract (multipart "file"), and /readyz for bench/load.sh.
Weights are PyTorch's initial ones: the cost of a request does not depend on them.

    gunicorn -w 2 -b 127.0.0.1:5002 --chdir bench/reference flask_app:app
"""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F
from flask import Flask, jsonify, request
from PIL import Image


class DigitNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32)
        self.c2, self.b2 = nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64)
        self.c3, self.b3 = nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128)
        self.fc1, self.fc2 = nn.Linear(1152, 128), nn.Linear(128, 10)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        x = F.max_pool2d(F.relu(self.b3(self.c3(x))), 2)
        return self.fc2(self.drop(F.relu(self.fc1(torch.flatten(x, 1)))))


# One intra-op thread per worker: gunicorn runs a worker per core.
torch.set_num_threads(1)
model = DigitNet().eval()
app = Flask(__name__)


@app.route("/readyz")
def readyz():
    return jsonify(status="ready")


@app.route("/predict", methods=["POST"])
def predict():
    upload = request.files.get("file")
    if upload is None:
        return jsonify(error="no file", code="missing_file"), 400
    try:
        image = Image.open(io.BytesIO(upload.read())).convert("L").resize((28, 28))
    except Exception:
        return jsonify(error="not an image", code="unsupported_media_type"), 415
    pixels = torch.tensor(list(image.getdata()), dtype=torch.float32).view(1, 1, 28, 28) / 255.0
    with torch.no_grad():
        probabilities = F.softmax(model((pixels - 0.1307) / 0.3081), dim=1)[0]
    digit = int(probabilities.argmax())
    return jsonify(predicted_digit=digit, confidence=float(probabilities[digit]),
                   probabilities=[float(p) for p in probabilities])
