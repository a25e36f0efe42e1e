"""The demo's logins, importable before Django is set up (make demo prints them)."""

DEMO_PASSWORD = "demo"  # the demo alone may use it: load_demo refuses to run with DEBUG off
ROLE_LOGINS = ["admin", "leadership", "lead", "member", "guest"]  # each is <role>@example.com
