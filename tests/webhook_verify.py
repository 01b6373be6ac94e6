"""Verifies captured webhook deliveries with the third-party `standardwebhooks` library.

Reads a JSON list of {"secret", "body", "headers"} on stdin and prints one line per
item: "ok" or "fail: <reason>". Used by the Rust webhook tests.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

for item in json.load(sys.stdin):
    try:
        Webhook(item["secret"]).verify(item["body"], item["headers"])
        print("ok")
    except WebhookVerificationError as err:
        print(f"fail: {err}")
