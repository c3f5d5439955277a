"""Buckets on the local stack carry the template's CORS and lifecycle rules (CloudFormation's names translated
to the S3 API's), so a browser may POST a pre-signed upload to the stack's S3 as it may to the real bucket."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from local.resources import create_bucket
from local.template import Stack, load_template


def test_a_bucket_gets_its_cors_and_lifecycle_rules(deployed: Callable[[str], Stack]) -> None:
    # GIVEN a template bucket with CloudFormation's CORS and lifecycle properties, and one without either
    stack = deployed(
        """
        Uploads:
          Type: AWS::S3::Bucket
          Properties:
            CorsConfiguration:
              CorsRules:
                - Id: browsers
                  AllowedMethods: [POST, GET]
                  AllowedOrigins: ["https://shop.example", "*"]
                  AllowedHeaders: ["*"]
                  ExposedHeaders: [ETag]
                  MaxAge: 3000
            LifecycleConfiguration:
              Rules:
                - Id: AbortIncompleteUploads
                  Status: Enabled
                  AbortIncompleteMultipartUpload: {DaysAfterInitiation: 1}
                - Id: ExpireStaging
                  Status: Enabled
                  Prefix: staging/
                  ExpirationInDays: 2
        Plain:
          Type: AWS::S3::Bucket
        """
    )
    s3 = boto3.client("s3", region_name=stack.region)
    # THEN the first has the CORS rule, with the S3 API's names (MaxAgeSeconds, ExposeHeaders, ID)
    assert s3.get_bucket_cors(Bucket=stack.ref("Uploads"))["CORSRules"] == [
        {
            "ID": "browsers",
            "AllowedMethods": ["POST", "GET"],
            "AllowedOrigins": ["https://shop.example", "*"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3000,
        }
    ]
    # AND its lifecycle rules (a rule without a prefix applies to the whole bucket)
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=stack.ref("Uploads"))["Rules"]}
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert rules["AbortIncompleteUploads"]["Filter"] == {"Prefix": ""}
    assert rules["ExpireStaging"]["Filter"] == {"Prefix": "staging/"} and rules["ExpireStaging"]["Expiration"] == {
        "Days": 2
    }
    assert {r["Status"] for r in rules.values()} == {"Enabled"}
    # AND the plain bucket has neither
    with pytest.raises(ClientError, match="NoSuchCORSConfiguration"):
        s3.get_bucket_cors(Bucket=stack.ref("Plain"))
    with pytest.raises(ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket=stack.ref("Plain"))


def test_the_document_bucket_answers_a_browsers_preflight_for_a_post_from_any_origin(
    moto_server: str,
) -> None:
    # GIVEN template.yaml's DocumentBucket, created on a moto server as the local stack creates it
    stack = Stack(load_template(), name="local")
    create_bucket(stack, "DocumentBucket", stack.resources["DocumentBucket"]["Properties"], moto_server)
    url = f"{moto_server}/{stack.ref('DocumentBucket')}"
    # WHEN a page on some origin asks whether it may POST a multipart form to the bucket
    response = httpx.options(
        url,
        headers={
            "Origin": "https://any-customer-site.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    # THEN the bucket's CORS rule allows it: that origin, POST only, any header, cached for 3000 s
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://any-customer-site.example"
    assert response.headers["access-control-allow-methods"] == "POST"
    assert response.headers["access-control-allow-headers"] == "*"
    assert response.headers["access-control-max-age"] == "3000"
    assert "access-control-expose-headers" not in response.headers


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server on a free port (the local stack's S3), with credentials that never reach AWS."""
    from moto.server import ThreadedMotoServer

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield "http://{}:{}".format(*server.get_host_and_port())
    finally:
        server.stop()
