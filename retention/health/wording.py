"""The sentences the health model and the risk flags store as text (a score's reasons and
guard notes, a flag's explanation and the comments the nightly run writes), registered so that
``crm.i18n.translate_stored`` can show them in the reader's language. ``health.py`` and
``flags.py`` word them; a test keeps this list in step with those files."""

from django.utils.translation import gettext_noop as _

from crm.i18n import register_plural, register_sentences, register_words

SENTENCES = (
    # health.py: the measures
    _("no meeting or call logged yet"),
    _("last meeting or call %(days)s days ago (expected every %(cadence)s)"),
    _("no meeting or call for %(days)s days (expected every %(cadence)s)"),
    _("no CSM sentiment in the last %(days)s days"),
    _("the CSM logged an interaction as %(sentiment)s %(days)s days ago"),
    _("the CSM reads %(sentiment)s (%(days)s days ago)"),
    _("no open problems"),
    _("no contacts recorded"),
    _("the champion left on %(day)s and no new champion is named"),
    _(
        "champion %(champion)s, decision maker %(dm)s within %(days)s days; "
        "%(colleagues)s of our team in touch"
    ),
    _("left out during onboarding"),
    _("no NPS or CSAT in the last %(days)s days"),
    _("latest %(kind)s %(score)s (%(category)s, %(days)s days ago)"),
    _("no active contract"),
    _("notice given on %(day)s"),
    _("contract cancelled from %(day)s"),
    _("MRR down from %(then)s to %(now)s within %(days)s days"),
    _("renewal on %(day)s (in %(days)s days) not confirmed"),
    _("no unconfirmed renewal within %(days)s days"),
    # health.py: the guards
    _(
        "onboarding (day %(day)s of %(days)s): voice of the customer left out, "
        "engagement weighs ×%(factor)s"
    ),
    _("band at best yellow: %(measures)s poor"),
    _("on watch: the owner changed %(days)s days ago"),
    # flags.py: the explanations and the comments of the nightly run
    _("the account is %(band)s (score %(score)s)"),
    _("score %(score)s is red (below %(yellow)s): %(reasons)s"),
    _("score fell %(drop)s points within %(days)s days (from %(peak)s to %(now)s)"),
    _("the champion left on %(day)s (%(days)s days ago); no new champion is named"),
    _("renewal on %(day)s (in %(days)s days) is not confirmed and %(state)s"),
    _("the owner changed %(days)s days ago (on %(day)s) and %(state)s"),
    _("no longer a customer"),
    _("no score (no measure has data)"),
    _("resolved itself: the condition no longer holds (%(state)s)"),
    _("the snooze ended on %(day)s"),
    _("until %(day)s: %(reason)s"),
    # Worded before the plural form existed; scores of those days still say it.
    _("%(n)s open problem(s): %(high)s high severity, the oldest %(days)s days old"),
)

PLURALS = (
    (
        "%(n)s open problem: %(high)s high severity, %(days)s days old",
        "%(n)s open problems: %(high)s high severity, the oldest %(days)s days old",
        "n",
    ),
)

WORDS = (
    # the CSM's read, as given when logging an interaction and as their own reading
    _("positive"),
    _("neutral"),
    _("negative"),
    _("green"),
    _("amber"),
    _("red"),
    _("yellow"),
    # champion and decision maker
    _("met"),
    _("not met"),
    _("not named"),
    # feedback
    _("promoter"),
    _("passive"),
    _("detractor"),
    # the measures
    _("engagement"),
    _("CSM sentiment"),
    _("open problems"),
    _("relationship"),
    _("voice of the customer"),
    _("commercial"),
)


def register() -> None:
    register_sentences(*SENTENCES)
    for singular, plural, count in PLURALS:
        register_plural(singular, plural, count=count)
    register_words(*WORDS)
