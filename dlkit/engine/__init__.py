"""The contract between a config and the code that trains, scores and predicts with it: the `Task`
interface and `task_of`, preparing a config's data into splits, scoring a model on a split."""
