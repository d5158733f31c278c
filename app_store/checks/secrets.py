"""Secrets in an app's files, found by Yelp's detect-secrets (its provider-specific plugins,
keywords, private keys, JWTs) plus the few rules of our own that it lacks. Its entropy plugins
are left out: hashes, ids and inline images in ordinary code trip them constantly."""

from __future__ import annotations

import re
import threading

from detect_secrets.core.scan import scan_line
from detect_secrets.settings import transient_settings

PLUGINS = ["AWSKeyDetector", "ArtifactoryDetector", "AzureStorageKeyDetector",
           "BasicAuthDetector", "CloudantDetector", "DiscordBotTokenDetector",
           "GitHubTokenDetector", "GitLabTokenDetector", "IbmCloudIamDetector",
           "IbmCosHmacDetector", "JwtTokenDetector", "KeywordDetector", "MailchimpDetector",
           "NpmDetector", "OpenAIDetector", "PrivateKeyDetector", "PypiTokenDetector",
           "SendGridDetector", "SlackDetector", "SoftlayerDetector", "SquareOAuthDetector",
           "StripeDetector", "TelegramBotTokenDetector", "TwilioKeyDetector"]
OURS = [
    (re.compile(r"\bsd_[toj]_[A-Za-z0-9_-]{20,}"), "a token of this app store"),
    (re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"), "an API secret key"),
]
MAX_LINE = 4096   # longer lines (minified bundles, data) are scanned by our rules only
# detect-secrets keeps its settings in process-wide state that transient_settings rewrites:
# two checks scanning at once (the store checks submissions in threads) broke it with
# "dictionary changed size during iteration".
_SETTINGS = threading.Lock()


def find(text: str) -> str | None:
    """What kind of secret the text seems to hold, or None."""
    for pattern, what in OURS:
        if pattern.search(text):
            return what
    with _SETTINGS, transient_settings({"plugins_used": [{"name": p} for p in PLUGINS]}):
        for line in text.splitlines():
            if len(line) > MAX_LINE:
                continue
            for secret in scan_line(line):
                return secret.type.lower()
    return None
