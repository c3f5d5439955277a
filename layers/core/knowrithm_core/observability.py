"""The one observability module: Powertools Logger (with correlation id), Metrics (EMF) and Tracer.

Every handler and core module takes its logger, metrics and tracer from here so the
service name, namespace and correlation id are set in one place.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "knowrithm")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Knowrithm")

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME)
