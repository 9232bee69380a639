"""Project-wide test configuration: the plugin-testing fixtures come from pytester."""

pytest_plugins = ["pytester"]
