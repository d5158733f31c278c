"""The files of a personal cloud (the stack's VFS): io.cozy.files documents and their bytes."""
