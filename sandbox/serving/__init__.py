"""Serving apps' pages as the Cozy stack does: the template variables of an app's index page
(``template``, ``page``) and the stack's own files under ``/assets`` (``assets``, ``builtin``,
``install``): cozy-client-js and cozy-bar from npm at the versions the stack pins."""
