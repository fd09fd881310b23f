"""trl-styling: train compact tool-using image-styling planners with offline RL on top of TRL."""

__version__ = "0.1.0"
