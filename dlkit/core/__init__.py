"""The foundation every other folder stands on: errors, strict checks, the registry mechanism and
every registry root, the backend (TensorFlow loaded lazily), run folders and writing them, the
plug-ins and their trust, timings, plots and calibration's numbers. It imports nothing of dlkit's
above it."""
