"""Thin HTTP blueprints (parse, call one use case, shape the answer) and Lambda entry points."""
