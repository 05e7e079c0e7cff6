"""The reference for HTTP throughput: Flask's hello world, served like Relais
(``gunicorn benchmarks.hello:app`` with the same settings)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
