"""The communication calendar (DESIGN.md "Communication calendar and reminders"): each
account's next planned touch, planned meetings, and the calendar page and private ICS feed of
what is due — planned touches, follow-ups, renewals and notice deadlines.

- ``touches``  the next planned touch of an account (the rule) and planned meetings (services)
- ``entries``  what the calendar shows: one small function per source of entries
- ``ics``      the private feed as text/calendar
- ``views``, ``forms``, ``urls``  the pages
"""
