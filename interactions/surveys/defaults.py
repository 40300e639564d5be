"""The survey emails Treue ships, per (kind, language): subject, question, body.

The data migration ``interactions/0010_default_survey_templates`` installs them as the
``SurveyTemplate`` rows an admin edits; ``services.template_for`` falls back on them when an
admin deleted a kind's template, so a send never fails for want of one."""

SHIPPED: dict[tuple[str, str], tuple[str, str, str]] = {
    ("nps", "en"): (
        "A quick question from {company}",
        "How likely are you to recommend {company} to a friend or colleague?",
        "Hello {name},\n\nHow likely are you to recommend {company} to a friend or colleague? "
        "One click on a number from 0 to 10 is all it takes:\n\n{link}\n\n"
        "Thank you,\n{company}\n\n--\nNo more surveys from us: {unsubscribe}\n",
    ),
    ("nps", "de"): (
        "Eine kurze Frage von {company}",
        "Wie wahrscheinlich ist es, dass Sie {company} einem Freund oder Kollegen empfehlen?",
        "Guten Tag {name},\n\nWie wahrscheinlich ist es, dass Sie {company} einem Freund oder "
        "Kollegen empfehlen? Ein Klick auf eine Zahl von 0 bis 10 genügt:\n\n{link}\n\n"
        "Vielen Dank,\n{company}\n\n--\nKeine Umfragen mehr von uns: {unsubscribe}\n",
    ),
    ("csat", "en"): (
        "How satisfied are you with {company}?",
        "How satisfied are you with {company}?",
        "Hello {name},\n\nHow satisfied are you with {company}? One click on a number from "
        "1 (not at all) to 5 (very) is all it takes:\n\n{link}\n\n"
        "Thank you,\n{company}\n\n--\nNo more surveys from us: {unsubscribe}\n",
    ),
    ("csat", "de"): (
        "Wie zufrieden sind Sie mit {company}?",
        "Wie zufrieden sind Sie mit {company}?",
        "Guten Tag {name},\n\nWie zufrieden sind Sie mit {company}? Ein Klick auf eine Zahl "
        "von 1 (gar nicht) bis 5 (sehr) genügt:\n\n{link}\n\n"
        "Vielen Dank,\n{company}\n\n--\nKeine Umfragen mehr von uns: {unsubscribe}\n",
    ),
}
