"""What the store's own subprocesses see, and what its logs may not show.

Every program the store starts for a build (pip resolving wheels, debootstrap, tar) gets a
minimal, explicit environment: a path, a home of its own, a locale, and only the variables that
tell pip how to reach its index on this machine. Nothing of the store's own configuration (its
database URL, tokens, the Docker host, SELFDATA_*) can reach a program a team's requirements
drive. As a last line of defence, build logs are scrubbed of the store's secrets before a team
reads them.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

# How pip reaches its index on this machine (network settings, not the store's).
PIP_REACH = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT",
             "PIP_TRUSTED_HOST", "PIP_DEFAULT_TIMEOUT", "PIP_CONFIG_FILE", "HTTP_PROXY",
             "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
             "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE")
SENSITIVE = re.compile(r"SELFDATA|PASSWORD|PASSWD|SECRET|TOKEN|KEY|CREDENTIAL|DATABASE|"
                       r"DOCKER|AUTH|COOKIE|SESSION", re.I)
REDACTED = "[redacted]"


def clean_env(home: str, reach: bool = False) -> dict[str, str]:
    """The whole environment of a subprocess: ``reach`` adds pip's network settings."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": home, "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1", "PIP_NO_INPUT": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if reach:
        env.update({k: os.environ[k] for k in PIP_REACH if k in os.environ})
    return env


def secrets(*urls: str) -> list[str]:
    """Values the store holds that a team must never read: sensitive variables of its own
    environment and passwords inside the URLs it is configured with."""
    found = [v for k, v in os.environ.items() if SENSITIVE.search(k) and len(v) >= 6]
    for url in urls:
        parts = urlsplit(url)
        if parts.password and len(parts.password) >= 4:
            found.append(parts.password)
    return sorted(set(found), key=len, reverse=True)


def scrub(text: str, hidden: list[str]) -> str:
    for value in hidden:
        text = text.replace(value, REDACTED)
    return text
