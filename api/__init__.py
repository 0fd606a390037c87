"""The FastAPI app and the ``megaroth`` command line."""
