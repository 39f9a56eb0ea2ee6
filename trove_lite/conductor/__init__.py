"""The conductor: receives what guests report and runs the reconcilers."""
