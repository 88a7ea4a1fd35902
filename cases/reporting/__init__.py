"""Report figures, rollups, dashboards, charts, published reports and the transparency page."""
