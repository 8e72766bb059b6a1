"""The bottom layer every role shares: translations and formatting (`i18n`).

It depends on Babel only, so the check-in station, the server and the question-bank CLI can all
use it without pulling in each other (see ARCHITECTURE.md, "Boundaries").
"""
