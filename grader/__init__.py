"""multitasking-katas grader: checks concurrency code for real, in isolated processes."""

from grader.net import free_port, wait_listening
from grader.polling import wait_until

__all__ = ["free_port", "wait_listening", "wait_until"]
