"""The folder that carries an app's two sockets, made small enough to hold only sockets.

It is bind-mounted writable into the container (the app creates ``app.sock`` there), so
without a cap an app could fill the host's disk through it. As root, the folder is its own
tmpfs: 64 KiB and 16 inodes (sockets take no space; an app that writes files there gets
"no space left"). Without the right to mount (not root), it is a plain folder, and the runner
says so in its log.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import tempfile

log = logging.getLogger("selfdata.runtime")

OPTIONS = b"size=64k,nr_inodes=16,mode=0777"
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MNT_DETACH = 2
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def make(parent: str = "/tmp") -> tuple[str, bool]:
    """A new socket folder (a short path: a unix socket path fits in 108 bytes) and whether
    it is size-capped."""
    path = tempfile.mkdtemp(prefix="sd-", dir=parent)
    capped = _libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                         OPTIONS) == 0
    if not capped:
        log.warning("socket folder %s is not size-capped (mount: %s); run as root to cap it",
                    path, os.strerror(ctypes.get_errno()))
    os.chmod(path, 0o777)  # the app user creates app.sock here
    return path, capped


def remove(path: str) -> None:
    if os.path.ismount(path):
        _libc.umount2(path.encode(), MNT_DETACH)
    shutil.rmtree(path, ignore_errors=True)
