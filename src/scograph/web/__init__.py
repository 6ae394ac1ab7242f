"""The web layer: a Flask app that reads one release through a Store."""
