"""Surveys: NPS and CSAT asked by a personal link in an email, answered on a public page; an
answer is feedback on the account's timeline (DESIGN.md, "Surveys")."""
