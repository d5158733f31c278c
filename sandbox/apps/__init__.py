"""Apps in a tester's cloud: the records of what is installed, the registry releases come
from, and the containers that run them."""
