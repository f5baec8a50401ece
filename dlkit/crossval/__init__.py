"""`dlkit cv`: k-fold cross-validation, each fold a normal run folder inside the cv folder."""
