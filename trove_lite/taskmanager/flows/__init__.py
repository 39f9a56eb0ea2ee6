"""One module per operation: the flow of tasks and how to run it.

``run`` takes (or adopts) the instance's lock, runs the flow with
``taskflow.engines`` on the calling thread (the taskmanager's worker pool)
and logs the outcome; a failed flow has already recorded the failure on
the instance through its first task's revert.
"""
