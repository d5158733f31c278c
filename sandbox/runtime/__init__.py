"""Running apps in containers, the same way for the store's smoke runs and the sandbox's
installs: the engine behind a small interface, the hardening every container gets, the runner
that wires a container to a sandbox through unix sockets, and the shim inside the image.
Building images is the store's business, not this package's."""
