"""The model a config describes: built from `model.layers` (`build`), with a backbone of another run
or of `keras.applications` (`backbone`), measured (`size`) and saved or loaded in safe mode (`saved`)."""
