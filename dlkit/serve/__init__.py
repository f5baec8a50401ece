"""`dlkit serve`: runs behind TF Serving's REST API. Nothing here imports TensorFlow, FastAPI or
uvicorn at import time: they load when the server starts."""
