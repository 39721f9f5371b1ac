"""Independent, labelled evaluation corpus of realistic data exports (see README.md)."""
