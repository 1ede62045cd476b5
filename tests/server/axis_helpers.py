"""Helpers shared by the server tests (imported as ``axis_helpers``)."""

from __future__ import annotations

import json
import urllib.parse


def strict_json(resp) -> dict:
    """Parse a response body as strict JSON (NaN/Infinity tokens are errors)."""
    def bad(token):
        raise ValueError(f"non-standard JSON token {token}")

    data = resp.body if hasattr(resp, "body") else resp.content
    return json.loads(data, parse_constant=bad)


def multipart(fields: dict[str, str], file: tuple[str, bytes] | None,
              boundary: str = "axisBoundary7MA4YWxkTrZu0gW") -> tuple[bytes, str]:
    parts = []
    for k, v in fields.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                     f"{v}\r\n".encode())
    if file is not None:
        fname, data = file
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                     f"filename=\"{fname}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                     .encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


EVAL_CSV = (
    "dataset_id,query,evaluation_name,metric_name,metric_score,explanation\n"
    "c1,How do I reset?,exp_a,faithfulness,0.9,good\n"
    "c1,How do I reset?,exp_a,relevance,0.4,meh\n"
    "c2,Refund policy?,exp_a,faithfulness,0.2,bad\n"
    "c2,Refund policy?,exp_a,relevance,,missing\n"
    "c3,Shipping time?,exp_b,faithfulness,0.7,ok\n"
    "c3,Shipping time?,exp_b,relevance,1.0,great\n"
).encode()



async def cookie_login(client, base: str, token: str) -> str:
    """Log in through the login form like a browser; returns the _xsrf cookie value."""
    r = await client.get(base + "login")
    assert r.status_code == 200, r.text
    xsrf = client.cookies.get("_xsrf")
    assert xsrf
    r = await client.post(base + "login", data={"_xsrf": xsrf, "password": token},
                          follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    assert any(k.startswith("username-") for k in client.cookies.keys()), dict(client.cookies)
    return xsrf


def quote_params(params: dict) -> str:
    return urllib.parse.urlencode(params)
