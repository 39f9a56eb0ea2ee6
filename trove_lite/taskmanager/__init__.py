"""The taskmanager: runs the multi-step workflows (create, delete, resize...)."""
