"""Reviewing applications: the board, an application, reviewers, criteria, meetings."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)
