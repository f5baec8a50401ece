"""What the command line shows: tables and the training progress bar (rich). The core never imports this."""
