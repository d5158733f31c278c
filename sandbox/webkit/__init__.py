"""Web-layer building blocks shared by the sandbox's and the store's apps: the body limit,
the same-origin rule for forms, one Jinja2 set-up and the shared stylesheet. Only web layers
import this package."""
