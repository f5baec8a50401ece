"""What the commands do beyond training and predicting, as plain functions the CLI calls: eval,
generate, reproduce, compare, runs, summary (what `dlkit train` shows of a finished run), inspect,
doctor, schema, validate."""
