"""Applying to the programme: the public form, the draft and the status page."""

from flask import Blueprint

bp = Blueprint("apply", __name__)
