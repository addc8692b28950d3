"""The shape of the sample customer service: channels, reasons, teams, rhythms and comments.

Figures are plausible for a French retail customer service, not measured on a real one; they are
here so that the KPIs computed on sample history look like something a quality manager has seen.
"""

PHONE, EMAIL, WEB_FORM, CHAT = "phone", "email", "web_form", "chat"
FACEBOOK, TWITTER, CLICK_TO_CALL, CHATBOT = "facebook", "twitter", "click_to_call", "chatbot"
INBOUND, OUTBOUND = "inbound", "outbound"

# Share of the tickets a customer opens on each channel.
CHANNEL_SHARES = {
    PHONE: 38,
    EMAIL: 18,
    CHAT: 13,
    WEB_FORM: 9,
    CHATBOT: 9,
    CLICK_TO_CALL: 6,
    FACEBOOK: 4,
    TWITTER: 3,
}
# Channels answered live: open only while the teams are at work.
LIVE = frozenset({PHONE, CLICK_TO_CALL, CHAT})
# Written channels, answered later by the written-channel teams.
WRITTEN = frozenset({EMAIL, WEB_FORM})
SOCIAL = frozenset({FACEBOOK, TWITTER})
# Channels a customer can use at any hour, so planted edge-case times are kept exactly.
ALWAYS_OPEN = (EMAIL, WEB_FORM, CHATBOT)

# Median handle time in seconds (log-normal around it).
HANDLE_MEDIAN = {
    PHONE: 300,
    CLICK_TO_CALL: 270,
    CHAT: 480,
    EMAIL: 230,
    WEB_FORM: 230,
    FACEBOOK: 180,
    TWITTER: 150,
    CHATBOT: 110,
}
# Median wait before an agent picks up (s); written and social channels queue until office hours.
ANSWER_MEDIAN = {
    PHONE: 22,
    CLICK_TO_CALL: 12,
    CHAT: 25,
    EMAIL: 3 * 3600,
    WEB_FORM: 4 * 3600,
    FACEBOOK: 40 * 60,
    TWITTER: 30 * 60,
}

# Contact reasons, with a weight, the chance the first contact settles it, a handle-time factor
# and how customers feel about the subject to begin with.
REASONS = {
    # reason: (weight, first-contact resolution, handle factor, mood)
    "delivery": (16, 0.72, 0.9, -0.1),
    "billing": (13, 0.68, 1.0, -0.1),
    "technical": (12, 0.52, 1.35, -0.2),
    "returns": (9, 0.70, 0.9, 0.0),
    "product_info": (8, 0.88, 0.75, 0.35),
    "payment": (8, 0.70, 1.0, -0.1),
    "account_access": (7, 0.78, 0.85, 0.1),
    "order_change": (6, 0.80, 0.8, 0.1),
    "complaint": (6, 0.48, 1.3, -0.7),
    "cancellation": (6, 0.66, 1.1, -0.35),
    "other": (5, 0.75, 0.9, 0.0),
    "warranty": (4, 0.58, 1.15, -0.15),
}
# What the sample's reasons are called, in French and in English (the demo names them in the
# reasons' catalogue, as a team would in the admin).
REASON_LABELS = {
    "delivery": ("Livraison", "Delivery"),
    "billing": ("Facturation", "Billing"),
    "technical": ("Problème technique", "Technical problem"),
    "returns": ("Retour de produit", "Product return"),
    "product_info": ("Information produit", "Product information"),
    "payment": ("Paiement", "Payment"),
    "account_access": ("Accès au compte", "Account access"),
    "order_change": ("Modification de commande", "Order change"),
    "complaint": ("Réclamation", "Complaint"),
    "cancellation": ("Résiliation", "Cancellation"),
    "other": ("Autre demande", "Other request"),
    "warranty": ("Garantie", "Warranty"),
}
# Reasons that grow in some months (1 = January): Christmas deliveries, January returns...
REASON_SEASON = {
    "delivery": {11: 1.4, 12: 1.6},
    "returns": {1: 1.7, 2: 1.2, 7: 1.2},
    "cancellation": {9: 1.3},
    "billing": {1: 1.2},
}
# Reasons the service itself writes or calls about first (a late parcel, a failed payment).
PROACTIVE_REASONS = ("delivery", "payment", "order_change")

PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (20, 62, 14, 4)
PRIORITY_SHIFT = {"complaint": 1, "cancellation": 1, "technical": 0}

# Teams: (id, kind, relative size). Agent ids are numbered team by team.
TEAMS = (
    ("paris_n1", "live", 10),
    ("lyon_n1", "live", 9),
    ("lille_n1", "live", 7),
    ("nantes_n1", "live", 6),
    ("marseille_n1", "live", 6),
    ("lyon_n2", "expert", 4),
    ("marseille_n2", "expert", 3),
    ("bordeaux_ecrit", "written", 8),
    ("back_office", "written", 5),
    ("reseaux_sociaux", "social", 3),
    ("vip", "vip", 2),
)

# Occupancy the agents' states are drawn around (agent_states.csv), per team: the share of
# logged-in time, breaks aside, spent on contacts. Most teams sit inside the default alert band
# (70-90 %); the VIP desk is over-staffed and Lille under-staffed, so the bands show something.
OCCUPANCY = (0.74, 0.88)
TEAM_OCCUPANCY = {
    "vip": (0.46, 0.6), "lille_n1": (0.93, 0.99), "paris_n1": (0.8, 0.9),
    "back_office": (0.7, 0.8), "bordeaux_ecrit": (0.71, 0.82),
}  # fmt: skip

# Volume rhythm: Monday is the busiest day, Sunday the quietest; Christmas and the back-to-school
# month are busy, August is not.
WEEKDAY_FACTOR = (1.3, 1.12, 1.05, 1.0, 0.95, 0.6, 0.3)
MONTH_FACTOR = {
    1: 1.08,
    2: 0.95,
    3: 1.0,
    4: 0.95,
    5: 0.9,
    6: 0.97,
    7: 0.95,
    8: 0.78,
    9: 1.1,
    10: 1.0,
    11: 1.15,
    12: 1.22,
}
HOLIDAY_FACTOR = 0.35
# Growth of the volume per month.
MONTHLY_TREND = 0.006

# Office hours (local time), Monday to Saturday; closed on Sundays and public holidays.
OPEN_WEEKDAY = (8 * 3600, 20 * 3600)
OPEN_SATURDAY = (9 * 3600, 17 * 3600)

# Arrival profiles by local hour, 0 to 23.
LIVE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 7, 11, 12, 11, 8, 7, 9, 9, 8, 7, 6, 4, 0, 0, 0, 0)
WRITTEN_HOURS = (
    1.2, 0.7, 0.4, 0.3, 0.3, 0.5, 1.4, 3, 5, 6, 6, 5.5, 5, 5.5, 5.5, 5, 4.6, 4.6, 4.8, 5.2, 5.4,
    4.8, 3.4, 2.2,
)  # fmt: skip
# Waiting on the phone gets longer at peak hours.
LOAD_BY_HOUR = (
    1, 1, 1, 1, 1, 1, 1, 1, 1.2, 1.7, 1.8, 1.5, 1.0, 0.9, 1.3, 1.3, 1.1, 1.0, 1.0, 0.9, 1, 1, 1, 1,
)  # fmt: skip

# Survey answers sent together after one contact, and how often.
SURVEY_SETS = (
    (("csat",), 30),
    (("nps", "csat"), 30),
    (("nps", "csat", "ces"), 17),
    (("csat", "ces"), 13),
    (("nps",), 5),
    (("ces",), 5),
)

REPEAT_CODES = (
    "not_taken_into_account",
    "answer_raised_new_questions",
    "wrong_department",
    "unclear_answer",
    "other",
)

# Free-text comments by language and mood. Quotes, commas and line breaks on purpose: the CSV
# has to carry them.
COMMENTS = {
    "fr": {
        "bad": (
            "On m'avait promis un rappel, personne ne m'a rappelé.",
            "Trois appels pour la même chose, c'est épuisant.",
            "Toujours pas de remboursement.\nJe vais changer de fournisseur.",
            "Attente beaucoup trop longue au téléphone",
            "Réponse à côté de la question",
            "Le conseiller m'a dit \"ce n'est pas mon service\"",
            "Colis perdu, aucune solution proposée",
        ),
        "mixed": (
            "Correct, mais il a fallu relancer",
            "Réponse aimable, un peu lente",
            "Ça va, sans plus",
            "Problème réglé en partie ; j'attends la suite",
        ),
        "good": (
            "Conseillère très aimable et efficace, merci !",
            "Réglé en un seul appel, bravo",
            "Réponse claire et rapide",
            'Super accueil, "rien à redire"',
            "Merci, tout est en ordre maintenant",
            "RAS",
        ),
    },
    "en": {
        "bad": (
            "I was promised a call back that never came.",
            "Had to explain my problem three times",
            "Still no refund.\nVery disappointed.",
            "Far too long on hold",
            "Sent from one department to another",
        ),
        "mixed": (
            "Fine in the end, but slow",
            "Polite, though I had to chase them",
            "OK, partly solved",
        ),
        "good": (
            "Quick and friendly, thank you!",
            "Sorted on the first call, great",
            'Very clear answer, "perfect"',
            "Helpful agent, problem solved",
        ),
    },
}
FRENCH_SHARE = 0.78
