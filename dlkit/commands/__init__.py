"""What the commands do beyond training and predicting, as plain functions the CLI calls: eval,
generate, reproduce, compare, inspect, doctor, schema, validate."""
