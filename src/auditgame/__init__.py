"""auditgame: a toolkit for alignment auditing research.

Train model organisms with known hidden objectives, audit them with black-box, data and
white-box techniques, and grade auditors in a blind game.
"""

__version__ = "0.1.0"
