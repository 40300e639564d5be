"""The demo's English words (the default, for every language but German)."""

from . import BAD, GOOD, MIXED

TEAM_NAMES = (
    "Team North",
    "Team South",
    "Team East",
    "Team West",
    "Team Central",
    "Team Alps",
    "Team Coast",
    "Team Rhine",
)
SEGMENT_NAMES = {"SMB": "SMB", "Mid-market": "Mid-market", "Enterprise": "Enterprise"}
CHURN_REASONS = {
    name: name
    for name in (
        "Price",
        "Product fit",
        "Lost champion",
        "Acquired",
        "Budget cuts",
        "Went to competitor",
        "Service quality",
    )
}
FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Grace", "Henry", "Isla", "Jack", "Kate",
    "Liam", "Mia", "Nathan", "Olivia", "Paul", "Quinn", "Rosa", "Simon", "Tara", "Umar", "Vera",
    "William", "Xenia", "Yusuf", "Zoe", "Amir", "Bethany", "Chloé", "Dariusz", "Emma", "Fatima",
    "George", "Hannah", "Ilias", "Jane", "Karim", "Laura", "Marco", "Nora", "Oscar", "Priya",
    "Rafael", "Sofia", "Thomas", "Ursula", "Victor", "Wendy", "Leo", "Mary", "Noah", "Lea",
    "Eric", "Sara", "Tim", "Julia", "James", "Lisa", "Max", "Sophie", "Aylin", "Mehmet", "Sean",
    "Ingrid", "Pierre", "Camille", "Giulia", "Matteo", "Lucía", "Diego", "Kenji", "Mei",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
    "Clark", "Lewis", "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green",
    "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips",
    "Evans", "Turner", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook",
    "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey", "Kelly", "Howard", "Ward",
    "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "Hughes", "Fraser",
    "Sanders", "Patel", "Nguyen", "O'Brien", "García", "Tanaka", "Kowalski", "Rossi",
)  # fmt: skip
NAME_PARTS_A = (
    "North", "South", "Blue", "Green", "Silver", "Gold", "Bright", "Clear", "Swift", "True",
    "Summit", "Harbor", "Bay", "Star", "Sun", "Oak", "Pine", "Stone", "Iron", "Cloud", "River",
    "Lake", "Red", "White", "Black", "Nova", "Terra", "Aqua", "Falcon", "Wolf", "Bear", "Eagle",
    "Luna", "Sol", "Polar", "Alpha", "Delta", "Vector", "Prime", "Urban",
)  # fmt: skip
NAME_PARTS_B = (
    "wave", "light", "star", "field", "hill", "works", "line", "point", "bridge", "gate", "side",
    "stone", "tek", "path", "port", "house", "wood", "mark", "leaf", "peak", "crest", "form",
    "flow", "well", "wind", "spring", "ridge", "land", "wise", "core",
)  # fmt: skip
INDUSTRIES = (  # (industry, words that go into company names of that industry)
    ("Software", ("Software", "Systems", "Labs", "Digital", "Solutions")),
    ("Logistics", ("Logistics", "Freight", "Shipping", "Transport", "Cargo")),
    ("Manufacturing", ("Manufacturing", "Works", "Industries", "Components", "Engineering")),
    ("Healthcare", ("Health", "Clinic", "Care", "Medical", "Healthcare")),
    ("Retail", ("Retail", "Stores", "Market", "Shop", "Trading")),
    ("Financial services", ("Finance", "Capital", "Invest", "Partners", "Trust")),
    ("Education", ("Academy", "Learning", "School", "Campus", "Education")),
    ("Energy", ("Energy", "Power", "Solar", "Utilities", "Renewables")),
    ("Media", ("Media", "Press", "Studios", "Publishing", "Agency")),
    ("Construction", ("Building", "Construction", "Properties", "Builders", "Developments")),
    ("Hospitality", ("Hotels", "Dining", "Hospitality", "Resorts", "Catering")),
    ("Automotive", ("Automotive", "Motors", "Mobility", "Auto Parts", "Garages")),
    ("Professional services", ("Consulting", "Advisory", "Associates", "Legal", "Services")),
    ("Telecommunications", ("Telecom", "Networks", "Connect", "Communications", "Fiber")),
    ("Food & beverage", ("Foods", "Bakery", "Brewing", "Fine Foods", "Coffee")),
    ("Pharma", ("Pharma", "Biotech", "Life Sciences", "Diagnostics", "Laboratories")),
    ("Insurance", ("Insurance", "Assurance", "Underwriting", "Risk", "Mutual")),
)
LEGAL_FORMS = (
    "Ltd", "Ltd", "Ltd", "Inc.", "Inc.", "LLC", "LLC", "PLC", "Corp.", "Co.", "Group",
    "Holdings", "LLP", "B.V.", "S.A.S.", "AB",
)  # fmt: skip
DECISION_MAKER_TITLES = {
    "SMB": ("Managing Director", "Owner", "CEO", "Head of Operations"),
    "Mid-market": ("COO", "VP Operations", "Head of IT", "CFO", "Head of Customer Service"),
    "Enterprise": ("VP Customer Operations", "CIO", "Director Procurement", "SVP Operations"),
}
CHAMPION_TITLES = (
    "Operations Manager", "Team Lead Customer Service", "Project Manager", "IT Administrator",
    "Head of Sales Operations", "Process Owner", "Product Owner", "Office Manager",
)  # fmt: skip
USER_TITLES = (
    "Sales Representative", "Accountant", "Support Agent", "Marketing Manager", "Controller",
    "Data Analyst", "HR Business Partner", "Purchasing Agent", "Developer", "Key User",
)  # fmt: skip
PREFERENCES = (
    "Prefers calls before 10am.", "No meetings on Fridays.", "Loves cycling — ask about the "
    "last race.", "Wants an agenda 24 hours before every meeting.", "Prefers email over calls.",
    "Works part-time, not reachable on Wednesdays.", "Speaks German and English; prefers "
    "German.", "Hates long slide decks: bring numbers.", "Has two kids; school holidays are "
    "off-limits.", "Big football fan (FC St. Pauli).", "Likes to be addressed by first name.",
    "Only video calls with camera on.", "Reads messages late in the evening.", "Vegetarian — "
    "keep it in mind for the onsite lunch.", "Plays in a jazz band on weekends.", "Wants "
    "monthly usage reports as PDF.", "Does not like surprises on invoices: warn early.",
    "Travels a lot, best reached on mobile.", "Coffee lover; meet at the café downstairs.",
    "Prefers short WhatsApp-style chats.", "Runs marathons; training in the mornings.",
    "Wants the CFO in copy for anything about pricing.", "Responds fastest on Teams.",
    "Keen gardener.", "Do not call during month-end close.",
)  # fmt: skip
FEATURES = (
    "the reporting module", "the API", "SSO", "the mobile app", "the Salesforce sync",
    "automations", "the dashboard", "the export", "user roles", "the new editor",
)  # fmt: skip
DEPARTMENTS = ("sales", "support", "finance", "operations", "marketing", "IT", "the warehouse")
DOCUMENTS = (
    "renewal quote", "QBR deck", "training schedule", "API documentation", "release notes",
    "security whitepaper", "usage report", "onboarding plan", "invoice correction",
)  # fmt: skip
SUMMARIES = {
    ("meeting", GOOD): (
        "QBR with {first}: usage up, team happy with {feature}",
        "Roadmap session with {first} and the {dept} team",
        "Onsite workshop on {feature}",
        "Expansion talk: more seats for {dept}",
        "Success review with {first}: goals met",
    ),
    ("meeting", MIXED): (
        "QBR with {first}: adoption flat in {dept}",
        "Review of open tickets with {first}",
        "Training for new users in {dept}",
        "Planning meeting about {feature}",
    ),
    ("meeting", BAD): (
        "Escalation meeting about {feature}",
        "Tense QBR: {first} questions the value",
        "Renewal meeting: strong price pushback",
        "Crisis call with {first} about outages",
    ),
    ("call", GOOD): (
        "Check-in with {first}: all good",
        "Call with {first} about rolling out {feature} to {dept}",
        "Reference call arranged with {first}",
    ),
    ("call", MIXED): (
        "Check-in call with {first}",
        "Call about the open invoice question",
        "Call with {first}: questions on {feature}",
    ),
    ("call", BAD): (
        "Call with {first}: unhappy about response times",
        "{first} mentioned they are looking at alternatives",
        "Call about budget cuts in {dept}",
    ),
    ("email", GOOD): (
        "Sent the {doc} to {first}",
        "{first} thanked us for the quick fix",
        "Shared release notes on {feature}",
    ),
    ("email", MIXED): (
        "Sent the {doc}",
        "Asked {first} for feedback on {feature}",
        "Follow-up email after the call",
    ),
    ("email", BAD): (
        "Chased {first} for a meeting — no reply yet",
        "Complaint email from {first} about {feature}",
        "{first} asked for the cancellation terms",
    ),
    ("note", GOOD): (
        "Internal: {first} is our strongest advocate",
        "Internal: upsell potential in {dept}",
    ),
    ("note", MIXED): (
        "Internal: usage of {feature} is low",
        "Internal: new stakeholders in {dept}",
    ),
    ("note", BAD): (
        "Internal: budget freeze rumoured",
        "Internal: competitor demo seen at the customer",
        "Internal: renewal at risk",
    ),
}
NOTES = {
    GOOD: (
        "They see clear value and want to extend the rollout.",
        "Positive atmosphere, no open issues.",
        "Adoption is above plan; they asked about the premium tier.",
    ),
    MIXED: (
        "Some frustration with slow tickets, otherwise fine.",
        "They need more training before they roll out further.",
        "Budget for next year is not decided yet.",
    ),
    BAD: (
        "Several complaints, they are unhappy with the last release.",
        "Usage dropped sharply since last quarter.",
        "They hinted at evaluating a competitor.",
    ),
}
FOLLOW_UP_TITLES = (
    "Send the {doc}", "Schedule training for {dept}", "Check the bug fix with support",
    "Prepare the renewal offer", "Introduce our product manager for {feature}",
    "Share the customer story draft", "Book the next QBR", "Answer the pricing question",
)  # fmt: skip
PROBLEMS = (
    ("Export to Excel times out", "blocker"), ("SSO login fails for some users", "blocker"),
    ("Invoice shows the wrong VAT", "complaint"), ("Slow support replies", "complaint"),
    ("Data sync with the ERP is stuck", "escalation"), ("Dashboard numbers do not match",
    "complaint"), ("API rate limit hit during month-end", "blocker"), ("Missing audit log "
    "for compliance", "escalation"), ("Mobile app crashes on Android", "complaint"),
    ("Contract terms disputed", "escalation"), ("Outage during the sales kick-off", "escalation"),
)  # fmt: skip
RESOLUTIONS = (
    "Fixed in the next release; confirmed by the customer.",
    "Configuration changed with their admin.",
    "Credit note issued and explained.",
    "Workaround documented; customer accepted it.",
    "Escalated to engineering, hotfix deployed.",
)
FEEDBACK_COMMENTS = {
    "promoter": ("Great support, keep it up!", "Saves us hours every week.", "Easy to use."),
    "passive": ("Works, but reporting could be better.", "OK value for money.", ""),
    "detractor": ("Too expensive for what we use.", "Support takes too long.", "Buggy lately."),
}
CHURN_NOTES = {
    "Price": "Found a cheaper tool and would not move on price.",
    "Product fit": "Our product never matched their process.",
    "Lost champion": "Our champion left and nobody picked it up.",
    "Acquired": "Acquired by a group that standardises on another tool.",
    "Budget cuts": "Company-wide budget cuts.",
    "Went to competitor": "Moved to a competitor after a long evaluation.",
    "Service quality": "Too many unresolved tickets.",
}
CSM_READS = {  # the owner's own read of an account, with the reason they give
    "green": ("Happy and expanding to a second team.", "Strong champion, renewal looks safe."),
    "amber": ("Adoption is flat; we need an executive sponsor.", "New stakeholders, the "
              "relationship needs rebuilding."),
    "red": ("Champion gone and an escalation open: the renewal is at risk.", "They are "
            "evaluating a competitor; we need a rescue plan."),
}  # fmt: skip
TRANSFER_REASONS = {
    "left": "CSM left the company",
    "rebalance": "Portfolio rebalancing",
    "team": "Account moved to another region",
}
LEAVING = {
    key: f"Customer told us they leave: {name.lower()}" for key, name in CHURN_REASONS.items()
}

LANGUAGE = "en"
KICKOFF = "Kickoff with {first}: onboarding plan agreed"
ONBOARDING_DONE = (
    "Success plan agreed with {first}",
    "User training for the {dept} team",
    "Onboarding check-in with {first}",
    "Sent the onboarding survey (CSAT) to {first}",
    "90-day review with {first}: onboarding complete",
)
ONBOARDING_TODO = (
    "Agree the success plan",
    "Run the user training",
    "Onboarding check-in call",
    "Send the onboarding survey (CSAT)",
    "Hold the 90-day review",
)
CHASED = "Chased {first} for a meeting — no reply yet"
REPORTED_BY = "Reported by {name}."
THE_CUSTOMER = "the customer"
TRANSFER_NOTES = "Renewal talks start next quarter. Open problems are listed on the account."
TRANSFER_NOTES_CHAMPION = " The champion prefers short calls."
