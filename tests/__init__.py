"""The test suite, a package so that bench/bench_app.py can import tests/browser_helpers.py."""
