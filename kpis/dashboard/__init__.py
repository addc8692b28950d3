"""The quality manager's overview: headline figures, alarms, one panel per dimension.

`headlines` computes the figures with their change from the previous period; `panels` builds
each panel's charts and tables from the KPI queries; `links` makes the drill-down URL behind
every figure; `selectors.overview_data` puts them together (a fixed number of queries, pinned
by a test); `views` serves the page. Charts are drawn in the browser by Chart.js from JSON data
blocks (static/js/overview.js), each with its numbers as a table beside it.
"""
