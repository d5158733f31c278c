"""Running apps in containers: base image, build context, hardened run, socket bridges."""
