"""A small HTTP client for the harness's set-up steps: logging in, reading CSRF tokens, measuring
transfer sizes, uploading a file. It keeps cookies itself and ignores their Secure flag, since the
portal runs with production settings (SESSION_COOKIE_SECURE) over plain HTTP on loopback."""
from __future__ import annotations

import http.client
import re
import uuid
from html import unescape
from urllib.parse import urlencode

CSRF_HEADER = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Response:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes, wire: int):
        self.status, self.headers, self.body, self.wire = status, headers, body, wire

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One browser-like session against 127.0.0.1:port."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port, self.cookies = host, port, {}
        self.csrf: str | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 300) -> Response:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        hdrs = {"Host": f"{self.host}:{self.port}", "Connection": "close", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = self.cookie_header()
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        raw_headers = r.getheaders()
        for k, v in raw_headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "expires=Thu, 01 Jan 1970" in v or "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
        wire = len(f"HTTP/1.1 {r.status} {r.reason}\r\n") + sum(len(k) + len(v) + 4 for k, v in raw_headers) + 2
        return Response(r.status, raw_headers, data, wire + len(data))

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict, **headers) -> Response:
        body = urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **headers})

    def post_file(self, path: str, fields: dict, file_field: str, filename: str, content: bytes,
                  content_type: str = "text/csv", **headers) -> Response:
        boundary = uuid.uuid4().hex
        parts = []
        for k, v in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts),
                            {"Content-Type": f"multipart/form-data; boundary={boundary}", **headers})

    def login(self, username: str, password: str, landing: str) -> None:
        """Log in through the form, then read the CSRF token from `landing` (its <body> hx-headers)."""
        page = self.get("/masuk")
        token = CSRF_INPUT.search(page.text)
        if not token:
            raise RuntimeError(f"no CSRF token on the login page (status {page.status})")
        r = self.post("/masuk", {"csrf_token": unescape(token.group(1)), "username": username, "password": password})
        if r.status != 303:
            raise RuntimeError(f"login of {username} answered {r.status}, not 303")
        page = self.get(landing)
        m = CSRF_HEADER.search(page.text)
        if page.status != 200 or not m:
            raise RuntimeError(f"{landing} after login of {username}: status {page.status}, no X-CSRFToken")
        self.csrf = unescape(m.group(1))


def raw_request(method: str, path: str, port: int, cookie: str = "", body: str = "",
                headers: dict | None = None) -> str:
    """The text of one HTTP/1.1 request for the load generator."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
             "User-Agent: portal-bench"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if body or method == "POST":
        data = body.encode()
        lines.append(f"Content-Length: {len(data)}")
    return "\r\n".join(lines) + "\r\n\r\n" + body
