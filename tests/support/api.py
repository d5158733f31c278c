"""A test client bound to one instance's token."""

from __future__ import annotations

from fastapi.testclient import TestClient


class Api:
    def __init__(self, client: TestClient, token: str):
        self.c = client
        self.h = {"Authorization": f"Bearer {token}"}

    def _h(self, kw):
        return {**self.h, **kw.pop("headers", {})}

    def get(self, path, **kw):
        return self.c.get(path, headers=self._h(kw), **kw)

    def post(self, path, body=None, **kw):
        return self.c.post(path, headers=self._h(kw), json=body, **kw)

    def put(self, path, body=None, **kw):
        return self.c.put(path, headers=self._h(kw), json=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.c.patch(path, headers=self._h(kw), json=body, **kw)

    def delete(self, path, **kw):
        return self.c.delete(path, headers=self._h(kw), **kw)
