"""Deciding on applications: decisions, letters and the selection dashboard."""

from flask import Blueprint

bp = Blueprint("decisions", __name__)
