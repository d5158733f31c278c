"""The app store: submissions checked, built into locked-down containers, reviewed, listed."""
