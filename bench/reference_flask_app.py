"""The design digit-server replaced, for bench/compare_gunicorn.sh: Flask + PyTorch, DigitNet (cnn-bench's
reference network, the same one compare_torch.py times), the upload opened with Pillow, turned grey, resized
to 28x28 and normalised, one inference per request. Serves the same /predict contract (multipart "file"), and /readyz for bench/load.sh.
Weights are PyTorch's initial ones: the cost of a request does not depend on them.

    gunicorn -w 2 -b 127.0.0.1:5002 --chdir bench reference_flask_app:app
"""
import io

import torch
import torch.nn.functional as F
from flask import Flask, jsonify, request
from PIL import Image

from torch_digitnet import DigitNet


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
