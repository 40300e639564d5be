"""The demo's German words, for an installation whose language is German (LANGUAGE_CODE=de).

Entry for entry the shape of ``en``: the same seed tells the same story in German.
"""

from . import BAD, GOOD, MIXED

TEAM_NAMES = (
    "Team Nord",
    "Team Süd",
    "Team Ost",
    "Team West",
    "Team Mitte",
    "Team Alpen",
    "Team Küste",
    "Team Rhein",
)
SEGMENT_NAMES = {"SMB": "KMU", "Mid-market": "Mittelstand", "Enterprise": "Großkunden"}
CHURN_REASONS = {
    "Price": "Preis",
    "Product fit": "Produkt passt nicht",
    "Lost champion": "Champion verloren",
    "Acquired": "Übernommen",
    "Budget cuts": "Budgetkürzung",
    "Went to competitor": "Zum Wettbewerber gewechselt",
    "Service quality": "Servicequalität",
}
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Katrin",
    "Lukas", "Mia", "Niklas", "Olga", "Paul", "Frieda", "Rosa", "Simon", "Theresa", "Uwe", "Vera",
    "Wilhelm", "Johanna", "Yannick", "Zoe", "Annika", "Birgit", "Charlotte", "Dieter", "Emma",
    "Franziska", "Georg", "Hanna", "Ines", "Jana", "Karl", "Laura", "Matthias", "Nora", "Oskar",
    "Petra", "Ralf", "Sabine", "Tobias", "Ulrike", "Volker", "Wiebke", "Leon", "Marie", "Noah",
    "Lea", "Erik", "Sarah", "Tim", "Julia", "Jan", "Lisa", "Max", "Sophie", "Aylin", "Mehmet",
    "Sven", "Ingrid", "Jürgen", "Heike", "Stefan", "Katharina", "Florian", "Monika", "Dirk",
    "Maren",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
    "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler",
    "Maier", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung",
    "Hahn", "Keller", "Vogel", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht",
    "Yilmaz", "Kowalski", "Schuster", "Böhm", "Winter", "Graf", "Frank", "Berger", "Ludwig",
    "Sommer", "Seidel", "Brandt", "Haas", "Schreiber", "Dietrich", "Kraus", "Engel", "Pohl",
)  # fmt: skip
NAME_PARTS_A = (
    "Nord", "Süd", "Ost", "West", "Blau", "Grün", "Silber", "Gold", "Hell", "Klar", "Alpen",
    "Rhein", "Elb", "Stern", "Sonnen", "Eichen", "Tannen", "Stein", "Eisen", "Wolken", "Fluss",
    "See", "Rot", "Weiß", "Schwarz", "Berg", "Tal", "Wald", "Falken", "Wolfs", "Bären", "Adler",
    "Mond", "Linden", "Birken", "Main", "Donau", "Isar", "Hanse", "Heide",
)  # fmt: skip
NAME_PARTS_B = (
    "licht", "stern", "feld", "berg", "werk", "haus", "hof", "mark", "blick", "tor", "brück",
    "stein", "tal", "weg", "hafen", "heim", "wald", "au", "quell", "grund", "kamp", "horst",
    "bach", "burg", "dorf", "land", "garten", "winkel", "ried", "wiese",
)  # fmt: skip
INDUSTRIES = (  # (industry, words that go into company names of that industry)
    ("Software", ("Software", "Systeme", "Digital", "Informatik", "IT-Service")),
    ("Logistik", ("Logistik", "Spedition", "Transporte", "Fracht", "Lagerlogistik")),
    ("Maschinenbau", ("Maschinenbau", "Werke", "Fertigung", "Anlagenbau", "Industrietechnik")),
    ("Gesundheitswesen", ("Klinik", "Pflege", "Medizintechnik", "Gesundheitszentrum",
                          "Praxisverbund")),
    ("Handel", ("Handel", "Markt", "Warenhaus", "Fachhandel", "Versand")),
    ("Finanzdienstleistungen", ("Finanz", "Treuhand", "Vermögensberatung", "Kapital",
                                "Bankhaus")),
    ("Bildung", ("Akademie", "Schule", "Bildungswerk", "Institut", "Seminare")),
    ("Energie", ("Energie", "Stadtwerke", "Solar", "Netze", "Windkraft")),
    ("Medien", ("Medien", "Verlag", "Studios", "Agentur", "Druckerei")),
    ("Bau", ("Bau", "Hochbau", "Immobilien", "Projektbau", "Tiefbau")),
    ("Gastgewerbe", ("Hotels", "Gastro", "Gasthof", "Hotelbetriebe", "Catering")),
    ("Automobil", ("Autohaus", "Fahrzeugtechnik", "Automobile", "Kfz-Technik", "Mobilität")),
    ("Beratung", ("Beratung", "Kanzlei", "Consulting", "Steuerberatung",
                  "Unternehmensberatung")),
    ("Telekommunikation", ("Telekom", "Netzwerke", "Kommunikation", "Glasfaser", "Funk")),
    ("Lebensmittel & Getränke", ("Lebensmittel", "Brauerei", "Feinkost", "Kaffeerösterei",
                                 "Bäckerei")),
    ("Pharma", ("Pharma", "Biotech", "Diagnostik", "Labor", "Arzneimittel")),
    ("Versicherungen", ("Versicherung", "Assekuranz", "Vorsorge", "Versicherungsmakler",
                        "Rückversicherung")),
)  # fmt: skip
LEGAL_FORMS = (
    "GmbH", "GmbH", "GmbH", "GmbH", "AG", "AG", "GmbH & Co. KG", "GmbH & Co. KG", "KG", "SE",
    "e.K.", "OHG", "UG (haftungsbeschränkt)", "eG", "GbR", "Holding GmbH",
)  # fmt: skip
DECISION_MAKER_TITLES = {
    "SMB": ("Geschäftsführung", "Inhaber/in", "CEO", "Leitung Betrieb"),
    "Mid-market": ("COO", "Bereichsleitung Operations", "IT-Leitung", "CFO",
                   "Leitung Kundenservice"),
    "Enterprise": ("VP Customer Operations", "CIO", "Leitung Einkauf",
                   "Bereichsvorstand Operations"),
}  # fmt: skip
CHAMPION_TITLES = (
    "Operations Manager", "Teamleitung Kundenservice", "Projektleitung", "IT-Administration",
    "Leitung Vertriebsinnendienst", "Prozessverantwortung", "Product Owner", "Office Management",
)  # fmt: skip
USER_TITLES = (
    "Vertrieb Außendienst", "Buchhaltung", "Support", "Marketing", "Controlling",
    "Datenanalyse", "Personalreferat", "Einkauf", "Entwicklung", "Key User",
)  # fmt: skip
PREFERENCES = (
    "Lieber Anrufe vor 10 Uhr.", "Freitags keine Termine.", "Fährt gern Rad — nach dem "
    "letzten Rennen fragen.", "Möchte 24 Stunden vor jedem Termin eine Agenda.", "Lieber "
    "E-Mail als Anrufe.", "Arbeitet Teilzeit, mittwochs nicht erreichbar.", "Spricht Deutsch "
    "und Englisch; lieber Deutsch.", "Mag keine langen Foliensätze: Zahlen mitbringen.", "Zwei "
    "Kinder; Schulferien sind tabu.", "Großer Fußballfan (FC St. Pauli).", "Möchte geduzt "
    "werden.", "Videocalls nur mit Kamera.", "Liest Nachrichten spät am Abend.", "Vegetarisch — "
    "beim Mittagessen vor Ort beachten.", "Spielt am Wochenende in einer Jazzband.", "Möchte "
    "monatliche Nutzungsberichte als PDF.", "Mag keine Überraschungen auf Rechnungen: früh "
    "Bescheid geben.", "Viel unterwegs, am besten mobil erreichbar.", "Kaffeeliebhaber; "
    "Treffen im Café im Erdgeschoss.", "Mag kurze Chats im WhatsApp-Stil.", "Läuft Marathon; "
    "trainiert morgens.", "Bei allem zum Thema Preis den CFO in Kopie.", "Antwortet am "
    "schnellsten über Teams.", "Begeisterter Gärtner.", "Während des Monatsabschlusses nicht "
    "anrufen.",
)  # fmt: skip
# Names of modules, used as such ("zum Thema Reporting"); departments follow "Bereich".
FEATURES = (
    "Reporting", "API", "SSO", "Mobile App", "Salesforce-Anbindung", "Automatisierungen",
    "Dashboard", "Export", "Benutzerrollen", "Editor",
)  # fmt: skip
DEPARTMENTS = ("Vertrieb", "Support", "Finanzen", "Operations", "Marketing", "IT", "Lager")
DOCUMENTS = (
    "Verlängerungsangebot", "QBR-Präsentation", "Schulungsplan", "API-Dokumentation",
    "Release Notes", "Security-Whitepaper", "Nutzungsbericht", "Onboarding-Plan",
    "Rechnungskorrektur",
)  # fmt: skip
SUMMARIES = {
    ("meeting", GOOD): (
        "QBR mit {first}: Nutzung steigt, {feature} kommt gut an",
        "Roadmap-Termin mit {first} und dem Team {dept}",
        "Workshop vor Ort zum Thema {feature}",
        "Ausbaugespräch: mehr Lizenzen für den Bereich {dept}",
        "Erfolgsreview mit {first}: Ziele erreicht",
    ),
    ("meeting", MIXED): (
        "QBR mit {first}: Nutzung im Bereich {dept} stagniert",
        "Offene Tickets mit {first} durchgesprochen",
        "Schulung für neue Nutzer im Bereich {dept}",
        "Planungstermin zum Thema {feature}",
    ),
    ("meeting", BAD): (
        "Eskalationstermin zum Thema {feature}",
        "Angespanntes QBR: {first} stellt den Nutzen infrage",
        "Verlängerungstermin: starker Preisdruck",
        "Krisengespräch mit {first} wegen Ausfällen",
    ),
    ("call", GOOD): (
        "Kurzer Austausch mit {first}: alles gut",
        "Telefonat mit {first} zur Einführung von {feature} im Bereich {dept}",
        "Referenzgespräch mit {first} vereinbart",
    ),
    ("call", MIXED): (
        "Regeltelefonat mit {first}",
        "Telefonat zur offenen Rechnungsfrage",
        "Telefonat mit {first}: Fragen zum Thema {feature}",
    ),
    ("call", BAD): (
        "Telefonat mit {first}: unzufrieden mit den Antwortzeiten",
        "{first} erwähnt, dass sie sich Alternativen ansehen",
        "Telefonat über Budgetkürzungen im Bereich {dept}",
    ),
    ("email", GOOD): (
        "{doc} an {first} geschickt",
        "{first} bedankt sich für die schnelle Lösung",
        "Release Notes zum Thema {feature} geteilt",
    ),
    ("email", MIXED): (
        "{doc} verschickt",
        "{first} um Feedback zum Thema {feature} gebeten",
        "Nachfass-Mail nach dem Telefonat",
    ),
    ("email", BAD): (
        "Bei {first} wegen eines Termins nachgehakt — noch keine Antwort",
        "Beschwerde-Mail von {first} zum Thema {feature}",
        "{first} fragt nach den Kündigungsbedingungen",
    ),
    ("note", GOOD): (
        "Intern: {first} ist unser stärkster Fürsprecher",
        "Intern: Upsell-Potenzial im Bereich {dept}",
    ),
    ("note", MIXED): (
        "Intern: geringe Nutzung beim Thema {feature}",
        "Intern: neue Ansprechpartner im Bereich {dept}",
    ),
    ("note", BAD): (
        "Intern: Gerüchte über einen Budgetstopp",
        "Intern: Demo eines Wettbewerbers beim Kunden gesehen",
        "Intern: Verlängerung gefährdet",
    ),
}
NOTES = {
    GOOD: (
        "Sie sehen klaren Nutzen und wollen den Rollout ausweiten.",
        "Positive Stimmung, keine offenen Punkte.",
        "Nutzung über Plan; sie haben nach dem Premium-Paket gefragt.",
    ),
    MIXED: (
        "Etwas Frust über langsame Tickets, sonst in Ordnung.",
        "Sie brauchen mehr Schulung, bevor sie weiter ausrollen.",
        "Das Budget für nächstes Jahr steht noch nicht fest.",
    ),
    BAD: (
        "Mehrere Beschwerden, sie sind mit dem letzten Release unzufrieden.",
        "Die Nutzung ist seit dem letzten Quartal stark gesunken.",
        "Sie haben angedeutet, einen Wettbewerber zu prüfen.",
    ),
}
FOLLOW_UP_TITLES = (
    "{doc} schicken", "Schulung für den Bereich {dept} planen", "Bugfix mit dem Support prüfen",
    "Verlängerungsangebot vorbereiten", "Produktmanagement zum Thema {feature} vorstellen",
    "Entwurf der Kundenstory teilen", "Nächstes QBR terminieren", "Preisfrage beantworten",
)  # fmt: skip
PROBLEMS = (
    ("Excel-Export bricht mit Zeitüberschreitung ab", "blocker"),
    ("SSO-Anmeldung schlägt für einige Nutzer fehl", "blocker"),
    ("Rechnung weist falsche Umsatzsteuer aus", "complaint"),
    ("Langsame Antworten vom Support", "complaint"),
    ("Datenabgleich mit dem ERP hängt", "escalation"),
    ("Zahlen im Dashboard stimmen nicht", "complaint"),
    ("API-Limit beim Monatsabschluss erreicht", "blocker"),
    ("Audit-Log für die Compliance fehlt", "escalation"),
    ("Mobile App stürzt unter Android ab", "complaint"),
    ("Vertragsbedingungen strittig", "escalation"),
    ("Ausfall während des Sales-Kick-offs", "escalation"),
)
RESOLUTIONS = (
    "Im nächsten Release behoben; vom Kunden bestätigt.",
    "Konfiguration mit ihrem Admin angepasst.",
    "Gutschrift ausgestellt und erklärt.",
    "Workaround dokumentiert; vom Kunden akzeptiert.",
    "An die Entwicklung eskaliert, Hotfix ausgeliefert.",
)
FEEDBACK_COMMENTS = {
    "promoter": ("Toller Support, weiter so!", "Spart uns jede Woche Stunden.",
                 "Einfach zu bedienen."),
    "passive": ("Funktioniert, aber das Reporting könnte besser sein.",
                "Preis-Leistung in Ordnung.", ""),
    "detractor": ("Zu teuer für das, was wir nutzen.", "Der Support braucht zu lange.",
                  "In letzter Zeit viele Fehler."),
}  # fmt: skip
CHURN_NOTES = {
    "Price": "Hat ein günstigeres Tool gefunden und beim Preis nicht nachgegeben.",
    "Product fit": "Unser Produkt hat nie zu ihrem Prozess gepasst.",
    "Lost champion": "Unser Champion ist gegangen, und niemand hat übernommen.",
    "Acquired": "Von einer Gruppe übernommen, die auf ein anderes Tool setzt.",
    "Budget cuts": "Unternehmensweite Budgetkürzungen.",
    "Went to competitor": "Nach langer Evaluierung zu einem Wettbewerber gewechselt.",
    "Service quality": "Zu viele ungelöste Tickets.",
}
CSM_READS = {  # the owner's own read of an account, with the reason they give
    "green": ("Zufrieden und weitet auf ein zweites Team aus.",
              "Starker Champion, die Verlängerung sieht sicher aus."),
    "amber": ("Nutzung stagniert; wir brauchen einen Sponsor in der Geschäftsleitung.",
              "Neue Ansprechpartner, die Beziehung muss neu aufgebaut werden."),
    "red": ("Champion weg und eine Eskalation offen: die Verlängerung ist gefährdet.",
            "Sie prüfen einen Wettbewerber; wir brauchen einen Rettungsplan."),
}  # fmt: skip
TRANSFER_REASONS = {
    "left": "CSM hat das Unternehmen verlassen",
    "rebalance": "Portfolios neu verteilt",
    "team": "Account in eine andere Region verschoben",
}
LEAVING = {key: f"Kunde kündigt, Grund: {name}" for key, name in CHURN_REASONS.items()}

LANGUAGE = "de"
KICKOFF = "Kickoff mit {first}: Onboarding-Plan vereinbart"
ONBOARDING_DONE = (
    "Erfolgsplan mit {first} vereinbart",
    "Anwenderschulung für das Team {dept}",
    "Onboarding-Check-in mit {first}",
    "Onboarding-Umfrage (CSAT) an {first} geschickt",
    "90-Tage-Review mit {first}: Onboarding abgeschlossen",
)
ONBOARDING_TODO = (
    "Erfolgsplan vereinbaren",
    "Anwenderschulung durchführen",
    "Onboarding-Check-in-Telefonat",
    "Onboarding-Umfrage (CSAT) schicken",
    "90-Tage-Review abhalten",
)
CHASED = "Bei {first} wegen eines Termins nachgehakt — noch keine Antwort"
REPORTED_BY = "Gemeldet von {name}."
THE_CUSTOMER = "Kundenteam"
TRANSFER_NOTES = (
    "Verlängerungsgespräche beginnen im nächsten Quartal. Offene Probleme stehen am Account."
)
TRANSFER_NOTES_CHAMPION = " Der Champion mag kurze Telefonate."
