"""`GET /metrics` of `dlkit serve`, in Prometheus's text format, from a registry of its own (so
two servers in one process, as in tests, do not share counters)."""

from __future__ import annotations


class Metrics:
    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        model, code = ["model"], ["model", "code"]
        self.requests = Counter("dlkit_serve_requests", "Predict requests by model and HTTP code.", code, registry=r)
        self.errors = Counter("dlkit_serve_errors", "Predict requests answered with an error.", code, registry=r)
        self.latency = Histogram(
            "dlkit_serve_request_seconds",
            "Predict requests: seconds from arrival to answer.",
            model,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
            registry=r,
        )
        self.batch_size = Histogram(
            "dlkit_serve_batch_size",
            "Examples per model call (dynamic batching).",
            model,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=r,
        )
        self.loaded = Gauge(
            "dlkit_serve_model_loaded",
            "1 per model version serving, with its run.",
            ["model", "version", "run"],
            registry=r,
        )
        self.reloads = Counter(
            "dlkit_serve_reloads", "Reloads by outcome (loaded, failed).", ["model", "outcome"], registry=r
        )

    def record(self, model: str, code: int, seconds: float) -> None:
        self.requests.labels(model, str(code)).inc()
        if code >= 400:
            self.errors.labels(model, str(code)).inc()
        self.latency.labels(model).observe(seconds)

    def text(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
