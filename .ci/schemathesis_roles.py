"""Logs one demo account of each role in to a Vial server on loopback and runs schemathesis over
every operation of its OpenAPI document with each role's bearer token: first everything but the
session-ending operations, then those alone, so the token survives the first run. Prints the
status-code counts per role; exits non-zero on any server error or schema violation."""

import argparse
import collections
import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pyotp

ROLES = ["provider", "staff", "admin", "patient"]
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
# Operations that can end the caller's own session (or disable the caller, or change a role
# and so end sessions): tested last, in a run of their own.
SESSION_ENDING = [
    ("POST", "/api/v1/logout"),
    ("POST", "/api/v1/me/sessions/{id}/end"),
    ("POST", "/api/v1/users/{id}/sessions/end"),
    ("POST", "/api/v1/users/{id}/sessions/{sid}/end"),
    ("POST", "/api/v1/users/{id}/disable"),
    ("POST", "/api/v1/users/{id}/role"),
]


def loopback_context(base):
    # The server's certificate is self-signed; verification is off for loopback only.
    host = urllib.parse.urlparse(base).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        sys.exit(f"refusing to skip TLS verification for {host}")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, context=loopback_context(base), timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_for(base):
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if call(base, "GET", "/api/v1/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit("the server did not answer /api/v1/health")


def tokens(base, seed):
    out = {}
    for role in ROLES:
        account = next(a for a in seed["accounts"] if a["role"] == role)
        body = {"email": account["email"], "password": seed["password"]}
        if account.get("totp_secret"):
            body["totp"] = pyotp.TOTP(account["totp_secret"]).now()
        status, reply = call(base, "POST", "/api/v1/login", body)
        if status != 200:
            sys.exit(f"login as {role} failed with {status}")
        out[role] = reply["token"]
    return out


def filters(ending):
    """schemathesis arguments selecting the session-ending operations, or everything else (each
    of their paths has that one method)."""
    regex = "^(" + "|".join(p.replace("{", r"\{").replace("}", r"\}") for _, p in SESSION_ENDING) + ")$"
    return ["--include-path-regex", regex] if ending else ["--exclude-path-regex", regex]


# hyper closes the connection on a TRACE request with content (which HTTP forbids) before any
# handler runs, so schemathesis sees a network error, not an answer; the coverage phase's
# unexpected-method probes use every other method.
CONFIG = """[phases.coverage]
unexpected-methods = ["get", "put", "post", "delete", "options", "patch", "query"]
"""


def run(args, role, token, ending, har):
    config = f"{args.work}/schemathesis.toml"
    with open(config, "w", encoding="utf-8") as f:
        f.write(CONFIG)
    command = [
        args.schemathesis, "--config-file", config, "run", f"{args.base}/api/v1/openapi.json",
        "--checks", CHECKS,
        "--max-examples", str(args.max_examples),
        "--tls-verify", "false",
        "--header", f"Authorization: Bearer {token}",
        "--report", "har", "--report-har-path", har,
        "--seed", "17",
        "--no-shrink",
        # A request sent on a keep-alive connection the server is closing fails at the network
        # level; it is retried on a new one.
        "--request-retries", "2",
        "--workers", "2",
        "--warnings", "off",
        "--output-sanitize", "true",
        *filters(ending),
    ]
    print(f"== schemathesis as {role}{' (session-ending operations)' if ending else ''}", flush=True)
    # Its cache goes to the scratch directory, not the checkout.
    return subprocess.run(command, cwd=args.work).returncode


def statuses(har):
    with open(har, encoding="utf-8") as f:
        entries = json.load(f)["log"]["entries"]
    counts = collections.Counter(e["response"]["status"] for e in entries)
    return counts, len(entries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--seed", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--schemathesis", required=True)
    parser.add_argument("--max-examples", type=int, default=10)
    args = parser.parse_args()
    with open(args.seed, encoding="utf-8") as f:
        seed = json.load(f)
    wait_for(args.base)
    status, doc = call(args.base, "GET", "/api/v1/openapi.json")
    if status != 200:
        sys.exit("no OpenAPI document")
    operations = sum(
        1 for item in doc["paths"].values() for m in item if m in ("get", "post", "put", "delete", "patch")
    )
    print(f"{operations} operations in the document", flush=True)
    role_tokens = tokens(args.base, seed)
    failed = []
    summary = {}
    for ending in (False, True):
        for role in ROLES:
            har = f"{args.work}/{role}-{'ending' if ending else 'main'}.har"
            if run(args, role, role_tokens[role], ending, har) != 0:
                failed.append(f"{role}{' (session-ending)' if ending else ''}")
            counts, cases = statuses(har)
            total = summary.setdefault(role, [collections.Counter(), 0])
            total[0].update(counts)
            total[1] += cases
    print(f"\n== schemathesis summary: {operations} operations, checks {CHECKS}")
    for role, (counts, cases) in summary.items():
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items()))
        server_errors = sum(n for s, n in counts.items() if s >= 500)
        print(f"{role:9} {cases:6} cases  {server_errors} server errors  [{shown}]")
    if failed:
        sys.exit(f"schemathesis failed for: {', '.join(failed)}")


if __name__ == "__main__":
    main()
