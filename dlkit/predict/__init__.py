"""`dlkit predict`: a run's model on new inputs read the way its training data was (`run`), the
readers of each kind of input (`inputs`) and of table rows (`tables`)."""
