"""Process-wide test settings, applied before any ``chalicelib`` module is imported.

The models read the table name at import, so the environment is fixed here, once: the local
stage, fake credentials (moto in-process for integration tests) and throwaway secrets.
"""

from __future__ import annotations

import base64
import json
import os

os.environ.update(
    {
        "STAGE": "local",
        "AWS_DEFAULT_REGION": "ap-southeast-1",
        "AWS_REGION": "ap-southeast-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "SES_SENDER": "no-reply@jiazheng.example",
        "APP_SECRETS_JSON": json.dumps(
            {
                "token_signing_key": "test-signing-key-" + "x" * 32,
                "pii_key": base64.urlsafe_b64encode(b"k" * 32).decode(),
                "hash_pepper": "test-pepper-" + "y" * 32,
            }
        ),
    }
)
for name in list(os.environ):
    if name.startswith("AWS_ENDPOINT_URL"):
        del os.environ[name]
