"""The web application: app factory, pages (HTML + .json + .csv twins), static assets."""
