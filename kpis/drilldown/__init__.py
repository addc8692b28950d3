"""Drill-down: the contacts, tickets and survey answers behind a figure, and the comments.

Every figure of the overview links here with its period, its segment (channel, team, agent,
reason) and the subset it counts (repeat contacts, tickets solved at first contact, detractors,
a repeat cause...) in the URL. `params` checks the URL, `lists` builds the query, `columns`
says what a row shows (on the page and in its CSV and XLSX exports alike), `views` serves them.
"""
