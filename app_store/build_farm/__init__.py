"""Building apps into images: the store writes the Dockerfile, resolves dependencies into a
hash-pinned wheelhouse, builds offline on a base image it makes itself; and the farm that
owns the engine, the base image, the runner for smoke runs and the clean-up of images."""
