"""What the demo company's backlog says: themes, epics with their mission briefings, stories and sprint
plans, as data. ``backlog.demo_data`` turns it into rows."""

from __future__ import annotations

from dataclasses import dataclass

from backlog.models import Lane

Link = tuple[str, float | None, float | None]  # (KR title, impact as a share, impact in the KR's unit)


def share(kr: str, value: float) -> Link:
    return (kr, value, None)


def amount(kr: str, value: float) -> Link:
    return (kr, None, value)


# (title, lane, description, titles of the objectives it serves)
THEMES: list[tuple[str, str, str, tuple[str, ...]]] = [
    (
        "Frictionless checkout",
        Lane.NOW,
        "Paying us is the fastest, least surprising step of a customer's day.",
        ("Checkout is fast and reliable", "Delight customers at every payment"),
    ),
    (
        "Reliable platform foundations",
        Lane.NOW,
        "Fast builds, safe deploys and a platform no team has to think about.",
        ("A platform every team trusts", "Engineering ships faster and safer", "Run a reliable, secure platform"),
    ),
    (
        "Mobile engagement",
        Lane.NOW,
        "The app is where small businesses run their day, online or not.",
        ("Mobile users come back every week",),
    ),
    (
        "Trial to first payment",
        Lane.NOW,
        "Every new customer sends a paid invoice in their first week.",
        (
            "Turn more trials into customers",
            "Customers get value in their first month",
            "Win more of the right customers",
        ),
    ),
    (
        "AI-assisted reconciliation",
        Lane.NEXT,
        "Match payouts to invoices without the monthly spreadsheet.",
        ("Learn fast from new bets",),
    ),
    (
        "Customer health signals",
        Lane.NEXT,
        "See an account drifting away weeks before it cancels.",
        ("Customers get value in their first month", "Grow revenue efficiently"),
    ),
    (
        "Self-serve plan upgrades",
        Lane.NEXT,
        "Customers move up a plan when they need to, without talking to sales.",
        ("Grow revenue efficiently",),
    ),
    (
        "Open banking payments",
        Lane.LATER,
        "Account-to-account payments: lower fees than cards, instant settlement.",
        ("Learn fast from new bets", "Become the easiest way for small businesses to get paid"),
    ),
    (
        "Multi-currency invoicing",
        Lane.LATER,
        "Invoice and get paid in the customer's currency.",
        ("Become the easiest way for small businesses to get paid",),
    ),
    (
        "Partner app marketplace",
        Lane.LATER,
        "Accounting, CRM and e-commerce apps that plug into Northwind.",
        ("Grow revenue efficiently",),
    ),
]


@dataclass(frozen=True)
class DemoEpic:
    key: str
    team: str
    title: str
    owner: str  # the local part of the owner's e-mail
    theme: str | None
    links: tuple[Link, ...]
    goal: str  # how a sprint goal names this epic's work
    context: str
    my_intent: str
    key_implied_tasks: str
    boundaries: str
    higher_intent: str = ""  # empty: suggested from the parent epic (its "my intent")
    parent: str | None = None


EPICS: list[DemoEpic] = [
    DemoEpic(
        "pe-fast", "Product & Engineering", "Fast, dependable payments", "maya.lindqvist", "Frictionless checkout",
        (amount("Sev-1 incidents per month", -2), share("Change failure rate", 0.3)),
        "make payments fast and dependable",
        context="Checkout's p95 sits near 350 ms but passes a second at peak, and two of this quarter's Sev-1 "
        "incidents started in payment calls. 'Slow checkout' is the second reason given in churn interviews.",
        higher_intent="Delight customers at every payment: a payment is fast and works the first time.",
        my_intent="Payments are fast and dependable end to end: checkout answers within 300 ms at p95 even at "
        "peak, and no payment incident reaches Sev-1 because of our own code.",
        key_implied_tasks="Checkout caches and trims its hot paths; Platform pools connections and caches at the "
        "edge; both teams share one latency dashboard and alert on the p95, not the mean.",
        boundaries="No new payment providers this quarter. PCI scope stays as it is: card data never touches a "
        "cache. Every change to the payment path ships behind a flag with a rollback runbook.",
    ),
    DemoEpic(
        "co-cache", "Checkout", "Cut checkout API latency", "lead", "Frictionless checkout",
        (amount("API p95 latency", -150),),
        "take the slow calls out of checkout",
        context="Profiling shows 60 % of checkout's p95 spent on basket pricing and tax lookups that change a "
        "few times a day, and on three fraud-check calls that could be one.",
        my_intent="Checkout answers within 300 ms at p95 at peak by caching what rarely changes and removing "
        "redundant calls, so no customer waits on us to pay.",
        key_implied_tasks="Cache basket pricing and tax rates; collapse the fraud checks into one call; a p95 "
        "alert per endpoint; load test at twice the Black Friday peak.",
        boundaries="Card data and payment tokens are never cached. A stale price is worse than a slow one: "
        "invalidation is correct before it is clever.",
        parent="pe-fast",
    ),
    DemoEpic(
        "co-success", "Checkout", "Card payments that succeed first time", "omar.haddad", "Frictionless checkout",
        (amount("Card payment success rate", 2.0), share("Net Promoter Score", 0.1)),
        "rescue payments that fail for fixable reasons",
        context="One card payment in twenty fails today; half of those are soft declines that a retry or a "
        "3-D Secure challenge would rescue.",
        higher_intent="Delight customers at every payment: a failed payment is the worst moment in our product.",
        my_intent="Rescue the payments that fail for fixable reasons, so 97.5 % of card payments succeed "
        "without the customer trying again.",
        key_implied_tasks="Classify decline codes; retry soft declines once with a network token; move to the "
        "3-D Secure 2 frictionless flow; a clear next step after a hard decline.",
        boundaries="Never retry a hard decline or a suspected fraud. No change to the acquirer contract.",
    ),
    DemoEpic(
        "co-pci", "Checkout", "PCI DSS 4.0 audit", "lead", "Reliable platform foundations",
        (share("PCI DSS audit passed", 0.8),),
        "collect PCI DSS 4.0 evidence as we go",
        context="Our PCI attestation expires in January, and version 4.0 asks for things we do not do yet: a "
        "script inventory on payment pages, tamper detection, MFA everywhere.",
        higher_intent="Run a reliable, secure platform: customers trust us with their money.",
        my_intent="Pass the PCI DSS 4.0 audit first time, with evidence collected as we work rather than in a "
        "last-minute scramble.",
        key_implied_tasks="Inventory and pin every payment-page script; MFA for all admin access; the quarterly "
        "ASV scan; one evidence folder per requirement.",
        boundaries="No new system handles card data. The auditor's questions go through Priya.",
    ),
    DemoEpic(
        "pl-edge", "Platform", "Pooled connections and edge caching for the API", "jonas.weber",
        "Frictionless checkout",
        (amount("API p95 latency", -100), share("API error rate", 0.2)),
        "pool connections and cache at the edge",
        context="Every API request opens a fresh database connection and nothing is cached at the edge; a "
        "connection storm caused one of this quarter's Sev-1 incidents.",
        my_intent="Take 100 ms off every API call at p95 and end connection storms, so product teams get speed "
        "from the platform without building it themselves.",
        key_implied_tasks="PgBouncer in transaction mode; CDN caching for public catalogue endpoints; a "
        "connection-storm alert; a runbook for cache purges.",
        boundaries="Nothing cached in front of authenticated payment endpoints. Roll out one region at a time.",
        parent="pe-fast",
    ),
    DemoEpic(
        "pl-ci", "Platform", "Six-minute builds", "ben.carter", "Reliable platform foundations",
        (amount("CI build time", -6), share("Lead time for changes", 0.2)),
        "cut CI build time",
        context="CI takes 14 minutes on a good day, so engineers batch changes to avoid the wait, and every "
        "deploy gets bigger and riskier.",
        higher_intent="Engineering ships faster and safer: small changes, often, with confidence.",
        my_intent="Every engineer sees a green or red build within six minutes, so a small change is always "
        "cheaper than a big one.",
        key_implied_tasks="Parallel test shards; cached wheels and Docker layers; flaky tests quarantined with an "
        "owner; build times published weekly.",
        boundaries="No test is deleted to save time without its owner's agreement. The CI bill stays flat.",
    ),
    DemoEpic(
        "pl-pipeline", "Platform", "Every service on the new deploy pipeline", "jonas.weber",
        "Reliable platform foundations",
        (
            amount("Services on the new deploy pipeline", 9),
            share("Deploys per week", 0.3),
            share("Change failure rate", 0.2),
        ),
        "move more services onto the new pipeline",
        context="Eleven of twenty services deploy through the new pipeline with canaries and automatic rollback; "
        "the other nine still use hand-run scripts, and they cause most failed changes.",
        higher_intent="Engineering ships faster and safer: small changes, often, with confidence.",
        my_intent="Every service deploys through the new pipeline, so every deploy has a canary and a one-click "
        "rollback and nobody needs a deploy expert.",
        key_implied_tasks="Migrate the remaining services, payments last; canary analysis on errors and latency; "
        "rollback from the dashboard; a freeze calendar.",
        boundaries="Payment services move only after two weeks without pipeline incidents. Nothing migrates "
        "during a freeze.",
    ),
    DemoEpic(
        "pl-ai", "Platform", "AI reconciliation prototype", "chloe.martin", "AI-assisted reconciliation",
        (share("AI reconciliation beta live with 10 customers", 0.5), amount("Experiments validated with customers", 1)),
        "get the reconciliation prototype ready for design partners",
        context="Customers spend hours each month matching payouts to invoices; design partners call it the "
        "chore they would pay to lose.",
        higher_intent="Learn fast from new bets: test ideas with customers before we build them properly.",
        my_intent="Put a matching prototype in front of ten design partners and learn whether it saves them "
        "real time.",
        key_implied_tasks="An anonymised training set from consenting partners; a rules-based baseline to beat; "
        "a feedback button on every suggestion; weekly partner calls.",
        boundaries="Suggestions only: nothing is reconciled without a person confirming. Partner data stays in "
        "the EU.",
    ),
    DemoEpic(
        "mo-offline", "Mobile App", "Offline mode", "rafael.costa", "Mobile engagement",
        (share("Implement offline mode", 0.9), share("Weekly active users", 0.15)),
        "let people invoice without a signal",
        context="A third of our app users invoice from building sites, basements and trains; where they should "
        "see their work, the app shows a spinner.",
        higher_intent="Mobile users come back every week: the app is where they run their business.",
        my_intent="People create and send invoices with no signal, and everything syncs when they are back "
        "online, without losing or duplicating a thing.",
        key_implied_tasks="A local store for invoices and customers; a sync queue with conflict rules; a clear "
        "offline state in the UI; tests on throttled and flaky networks.",
        boundaries="Payments still need a connection: we never take a card offline. New backend endpoints get "
        "Platform's review.",
    ),
    DemoEpic(
        "mo-crash", "Mobile App", "Crash-free releases", "kofi.mensah", "Mobile engagement",
        (amount("Crash-free sessions", 0.4),),
        "ship releases that do not crash",
        context="Crash-free sessions dipped to 99.2 % after the summer release; one crash in the invoice editor "
        "accounts for a third of them.",
        higher_intent="Mobile users come back every week: nobody returns to an app that crashed on them.",
        my_intent="Every release is at least as stable as the one before, and we know within an hour when it "
        "is not.",
        key_implied_tasks="Fix the top crashes; symbolicated reports in CI; staged rollouts; a kill switch for "
        "new features.",
        boundaries="A release that lowers crash-free sessions is halted, whatever it ships.",
    ),
    DemoEpic(
        "mo-habit", "Mobile App", "A weekly reason to open the app", "lena.fischer", "Mobile engagement",
        (amount("Weekly active users", 3000), share("Net Promoter Score", 0.05)),
        "give users a weekly reason to open the app",
        context="Most users open the app only to send an invoice; those who check their cash position weekly "
        "retain twice as well.",
        higher_intent="Mobile users come back every week: the app is where they run their business.",
        my_intent="Users open the app every week because it tells them something worth knowing about their "
        "money, not because we nag them.",
        key_implied_tasks="A weekly cash summary; payment-received notifications; a home-screen widget; "
        "per-type notification settings.",
        boundaries="At most one marketing push a week, and every notification type can be switched off.",
    ),
    DemoEpic(
        "gtm-onboard", "Go-to-Market", "Customers live in their first week", "tom.becker", "Trial to first payment",
        (share("Paying customers", 0.15),),
        "get customers live in their first week",
        context="Trials that send a first invoice within seven days convert three times as often, yet only 41 % "
        "get there, and new customers wait three weeks for onboarding.",
        higher_intent="Grow revenue efficiently: win more of the right customers and keep them.",
        my_intent="Every trial and every new customer gets to a first paid invoice within a week, whether they "
        "onboard alone or with us.",
        key_implied_tasks="Growth guides trials to their first invoice in the product; Customer Success "
        "shortens onboarding to ten days; one shared activation definition and dashboard.",
        boundaries="No discounts to buy activation. Sales promises no onboarding date Customer Success has not "
        "agreed.",
    ),
    DemoEpic(
        "gr-guided", "Growth", "Guided trial to a first invoice", "diego.alvarez", "Trial to first payment",
        (amount("Activated within 7 days", 8), share("Trial-to-paid conversion", 0.4)),
        "guide trials to their first invoice",
        context="Trial users land on an empty dashboard; those who find the invoice editor on day one activate "
        "twice as often.",
        my_intent="A trial user sends a first real invoice in their first session, guided by the product rather "
        "than a sales call.",
        key_implied_tasks="An onboarding checklist; sample data cleared in one click; e-mails triggered by what "
        "they have not done yet; a funnel measuring each step.",
        boundaries="No dark patterns: every nudge can be dismissed for good, and e-mails respect marketing "
        "consent.",
        parent="gtm-onboard",
    ),
    DemoEpic(
        "gr-cpa", "Growth", "Spend where customers come from", "noah.williams", None,
        (amount("Cost per acquisition", -40),),
        "spend where customers come from",
        context="A third of paid spend goes to channels whose trials rarely convert, and we cannot say which "
        "without a spreadsheet.",
        higher_intent="Turn more trials into customers, at a cost the business can grow on.",
        my_intent="Every euro of acquisition spend goes where paying customers come from, and we see it weekly.",
        key_implied_tasks="One attribution model; pause expensive campaigns; pages for the audiences that "
        "convert; a weekly CPA report by channel.",
        boundaries="Total spend stays within this quarter's budget; brand campaigns are out of scope.",
    ),
    DemoEpic(
        "cs-onboard", "Customer Success", "Onboarding in ten days", "elena.rossi", "Trial to first payment",
        (amount("Median onboarding time", -8), share("Customers with a success plan", 0.3)),
        "shorten onboarding",
        context="Onboarding takes 21 days at the median, mostly waiting: for exports from old tools, for a "
        "kick-off slot, for the customer's accountant.",
        my_intent="A new customer is invoicing from Northwind within ten days, with a success plan agreed in "
        "the first call.",
        key_implied_tasks="Import templates for the tools customers leave; weekly group kick-offs; a success "
        "plan template; an onboarding tracker.",
        boundaries="Enterprise accounts keep one-to-one onboarding. No promises of custom imports.",
        parent="gtm-onboard",
    ),
    DemoEpic(
        "cs-health", "Customer Success", "Early warning for at-risk accounts", "marcus.johnson",
        "Customer health signals",
        (share("Logo churn", 0.4), share("Net revenue retention", 0.1)),
        "spot accounts at risk",
        context="Most cancellations surprise us: the signs were in the product's usage weeks before.",
        higher_intent="Customers get value in their first month, and keep getting it.",
        my_intent="We hear about an account drifting away from the product's data, early enough to help.",
        key_implied_tasks="A health score from usage; an alert on sharp drops; churn reasons captured; renewal "
        "reminders.",
        boundaries="Health scores are for helping customers, never for sales pressure.",
    ),
]  # fmt: skip

ORPHAN_GOAL = "pay down technical debt"

# Per team, in the order the work was (or will be) done: (title, epic key, the story's own KR links).
STORIES: dict[str, list[tuple[str, str | None, tuple[Link, ...]]]] = {
    "Checkout": [
        ("Profile the checkout endpoints under peak load", "co-cache", ()),
        ("Classify card decline codes as soft or hard", "co-success", ()),
        ("Inventory every script on the payment pages", "co-pci", ()),
        ("Upgrade the checkout service to Django 5.2", None, ()),
        ("Synthetic checks for the checkout flow every minute", None, (share("Checkout uptime", 0.2),)),
        ("Cache basket pricing in Redis with versioned keys", "co-cache", ()),
        ("Dashboard of payment success by card scheme and country", "co-success", ()),
        ("Enforce MFA for all admin console access", "co-pci", ()),
        ("Fix the flaky basket total test", None, ()),
        ("Invalidate cached prices when a merchant edits a product", "co-cache", ()),
        ("Retry soft declines once with a network token", "co-success", ()),
        ("Pin payment page scripts with subresource integrity", "co-pci", ()),
        ("Idempotency keys on the payment endpoint", None, (amount("Card payment success rate", 0.3),)),
        ("Move the checkout service to the new deploy pipeline", None, (amount("Services on the new deploy pipeline", 1),)),
        ("Cache tax rates per region for 24 hours", "co-cache", ()),
        ("Add a p95 latency alert per checkout endpoint", "co-cache", ()),
        ("Move to the 3-D Secure 2 frictionless flow", "co-success", ()),
        ("Document the cardholder data flow diagram", "co-pci", ()),
        ("Remove the legacy coupon code path", None, ()),
        ("Collapse the three fraud-check calls into one", "co-cache", (amount("API p95 latency", -40),)),
        ("Handle 3-D Secure challenge timeouts gracefully", "co-success", ()),
        ("Run the quarterly ASV scan and fix its findings", "co-pci", ()),
        ("Graceful degradation when the tax service is down", None, (share("Checkout uptime", 0.15),)),
        ("Load test checkout at twice the Black Friday peak", "co-cache", ()),
        ("Show a clear next step after a hard decline", "co-success", ()),
        ("Write the evidence folder for requirement 6", "co-pci", ()),
        ("Send the receipt e-mail after the payment response", "co-cache", (amount("API p95 latency", -25),)),
        ("Update expired cards through the account updater", "co-success", ()),
        ("Investigate duplicated webhook deliveries", None, ()),
        ("Rotate the payment service's encryption keys", "co-pci", ()),
        ("Tamper detection on the payment page (requirement 11.6.1)", "co-pci", ()),
        ("Apple Pay and Google Pay on the hosted checkout page", "co-success", ()),
        ("Lazy-load the saved cards list", "co-cache", ()),
        ("Pre-fill the billing postcode from the customer profile", "co-success", ()),
        ("Trim the checkout session payload", "co-cache", ()),
        ("A/B test the wording of the decline message", "co-success", ()),
        ("Translate checkout into Polish", None, ()),
        ("Tidy up feature flags older than 90 days", None, ()),
        ("Rename the merchant settings tab", None, ()),
    ],
    "Platform": [
        ("Split the test suite into parallel shards", "pl-ci", ()),
        ("Put PgBouncer in front of the main database", "pl-edge", ()),
        ("Migrate the invoicing service to the new pipeline", "pl-pipeline", ()),
        ("Upgrade PostgreSQL to 17", None, ()),
        ("Error budget alerts per service", None, (share("API error rate", 0.15),)),
        ("Cache Python wheels between CI runs", "pl-ci", ()),
        ("Switch Django to transaction-mode pooling", "pl-edge", ()),
        ("Migrate the notifications service to the new pipeline", "pl-pipeline", ()),
        ("Rotate the staging TLS certificates", None, ()),
        ("Cache Docker layers in the registry", "pl-ci", ()),
        ("Alert on connection storms", "pl-edge", ()),
        ("Canary analysis on error rate and latency", "pl-pipeline", ()),
        ("Migrate the search service to the new pipeline", "pl-pipeline", ()),
        ("Structured logging for the API gateway", None, (amount("Mean time to restore", -5),)),
        ("Quarantine flaky tests, each with an owner", "pl-ci", ()),
        ("Cache the public catalogue endpoints at the CDN", "pl-edge", ()),
        ("Migrate the reporting service to the new pipeline", "pl-pipeline", ()),
        ("Postmortem template and review rota", None, (share("Mean time to restore", 0.1),)),
        ("Faster test database setup from a template database", "pl-ci", ()),
        ("Roll pooled connections out region by region", "pl-edge", ()),
        ("One-click rollback from the deploy dashboard", "pl-pipeline", ()),
        ("Publish CI build times weekly", "pl-ci", ()),
        ("Clean up unused S3 buckets", None, ()),
        ("Run only the affected services' tests on pull requests", "pl-ci", ()),
        ("Move read-only queries to the replica", "pl-edge", ()),
        ("Migrate the webhooks service to the new pipeline", "pl-pipeline", ()),
        ("Add the missing index on payments by merchant and date", "pl-edge", (amount("API p95 latency", -20),)),
        ("Runbook: purging the CDN cache", "pl-edge", ()),
        ("Anonymised training set from consenting design partners", "pl-ai", ()),
        ("Migrate the payments service to the new pipeline", "pl-pipeline", ()),
        ("Move the end-to-end suite to a nightly job", "pl-ci", ()),
        ("Deploy freeze calendar in the pipeline", "pl-pipeline", ()),
        ("Rules-based matcher as the baseline", "pl-ai", ()),
        ("Prototype matching suggestions in the reconciliation view", "pl-ai", ()),
        ("Feedback button on every suggestion", "pl-ai", ()),
        ("Upgrade CI runners to the larger machine type", "pl-ci", ()),
        ("Terraform the DNS records", None, ()),
    ],
    "Mobile App": [
        ("Fix the crash when rotating the invoice editor", "mo-crash", ()),
        ("Symbolicate iOS crash reports in CI", "mo-crash", ()),
        ("Weekly cash summary push notification", "mo-habit", ()),
        ("Migrate the analytics SDK", None, ()),
        ("Local database for invoices and customers", "mo-offline", ()),
        ("Staged rollouts at 5, 25 and 100 %", "mo-crash", ()),
        ("Payment received notification", "mo-habit", ()),
        ("Update the app store screenshots", None, ()),
        ("Sync queue for changes made offline", "mo-offline", ()),
        ("Fix the out-of-memory crash on large PDF previews", "mo-crash", ()),
        ("Notification settings per type", "mo-habit", ()),
        ("Deep links from e-mails into the app", "mo-habit", ()),
        ("VoiceOver labels on the invoice editor", None, (share("Net Promoter Score", 0.05),)),
        ("Create an invoice with no connection", "mo-offline", ()),
        ("Crash-free sessions on the release dashboard", "mo-crash", ()),
        ("Home screen widget: money owed to you", "mo-habit", ()),
        ("Fix the Android 14 notification permission crash", "mo-crash", ()),
        ("Offline banner and per-item sync state", "mo-offline", ()),
        ("Reminder to chase overdue invoices", "mo-habit", ()),
        ("Apple Pay on in-app payment links", None, (share("Card payment success rate", 0.1),)),
        ("Remove unused image assets", None, ()),
        ("Send queued invoices when back online", "mo-offline", ()),
        ("Kill switch for new features in remote config", "mo-crash", ()),
        ("Conflict rules when the same invoice changed twice", "mo-offline", ()),
        ("Ask for an app review after a payment arrives", "mo-habit", ()),
        ("Background sync on iOS", "mo-offline", ()),
        ("Raise the minimum iOS version to 16", None, ()),
        ("Background sync on Android", "mo-offline", ()),
        ("Test suite on throttled and flaky networks", "mo-offline", ()),
        ("Attach photos to an invoice offline", "mo-offline", ()),
        ("Upgrade Kotlin and the Android Gradle plugin", "mo-crash", ()),
        ("Onboarding carousel redesign", "mo-habit", ()),
        ("Dark mode", "mo-habit", ()),
        ("Spike: Kotlin Multiplatform for shared models", None, ()),
    ],
    "Growth": [
        ("Onboarding checklist on the empty dashboard", "gr-guided", ()),
        ("Attribution model: last non-direct click", "gr-cpa", ()),
        ("Refresh the website footer", None, ()),
        ("Activation funnel dashboard", "gr-guided", ()),
        ("Pause campaigns with a CPA above €500", "gr-cpa", ()),
        ("Webinar: get paid faster", None, (share("Qualified pipeline", 0.05),)),
        ("Sample data the user can clear in one click", "gr-guided", ()),
        ("Day-1 e-mail: send your first invoice", "gr-guided", ()),
        ("Landing page for accountants", "gr-cpa", ()),
        ("Move the blog to the new CMS", None, ()),
        ("Day-3 e-mail for trials without an invoice", "gr-guided", ()),
        ("Weekly CPA report by channel", "gr-cpa", ()),
        ("Pricing page experiment: annual plan first", None, (amount("Trial-to-paid conversion", 0.5),)),
        ("Invoice template picker in the first session", "gr-guided", ()),
        ("Referral programme: a month free for both", "gr-cpa", ()),
        ("Case study with a design partner", None, (share("Win rate", 0.05),)),
        ("Import customers from a CSV during onboarding", "gr-guided", ()),
        ("Exclude activated trials from retargeting audiences", "gr-cpa", ()),
        ("In-app tip: connect your bank for payouts", "gr-guided", ()),
        ("Comparison pages against the two biggest competitors", "gr-cpa", ()),
        ("Trial countdown banner with a plan comparison", "gr-guided", ()),
        ("Exit survey for expired trials", "gr-guided", ()),
        ("SEO: invoice template gallery pages", "gr-cpa", ()),
        ("Cookie banner copy update", None, ()),
        ("Clean up the UTM parameters", None, ()),
        ("Brand colours on the social media templates", None, ()),
    ],
    "Customer Success": [
        ("Import template: from spreadsheets", "cs-onboard", ()),
        ("Weekly group kick-off sessions", "cs-onboard", ()),
        ("Help centre article: reconciling payouts", None, (amount("Support tickets per 100 customers", -0.5),)),
        ("Success plan template agreed in the first call", "cs-onboard", ()),
        ("Tidy up the support macros", None, ()),
        ("Import template: from QuickBooks", "cs-onboard", ()),
        ("Account health score from product usage", "cs-health", ()),
        ("Import template: from Xero", "cs-onboard", ()),
        ("Onboarding progress tracker in the admin", "cs-onboard", ()),
        ("Accountant invite during onboarding", "cs-onboard", ()),
        ("Measure onboarding time from sign-up to first paid invoice", "cs-onboard", ()),
        ("Alert the account manager when usage drops 30 % in a week", "cs-health", ()),
        ("Quarterly business review template", "cs-health", ()),
        ("Churn reasons captured in a required field", "cs-health", ()),
        ("Renewal reminders 60 days ahead", "cs-health", ()),
        ("Migrate the help centre theme", None, ()),
    ],
}  # fmt: skip

# Teams that work in sprints: (number of the first of their six sprints, stories in each of the five closed
# sprints, stories in the active one); the rest of their list is the unplanned backlog.
SPRINT_PLANS: dict[str, tuple[int, tuple[int, ...], int]] = {
    "Checkout": (14, (5, 4, 5, 5, 4), 7),
    "Platform": (21, (5, 4, 5, 4, 5), 6),
    "Mobile App": (9, (4, 4, 5, 4, 4), 6),
    "Growth": (5, (3, 3, 4, 3, 3), 5),
}
KANBAN_DONE, KANBAN_IN_PROGRESS = 5, 2  # Customer Success works from a flow board, without sprints
SPRINT_DAYS = 14
POINTS = (1, 2, 3, 3, 5, 5, 8)
UNESTIMATED_SHARE = 0.3  # of unplanned stories
