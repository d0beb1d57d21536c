#!/usr/bin/env python3
"""Writes the seed corpus `fuzz/seeds/<target>/` from the published vectors.

    python3 fuzz/make_seeds.py /path/to/vectors

The vectors are the project's shared set (x-docs-oauth1.json, rfc5849.json,
oauth1-other-published.json, oauth1-header-parse.json, percent-encoding.json, pkce.json,
x-wire-samples.json). The seeds are committed, so nothing reads the vectors at test or fuzz
time; run this again only when the vectors change. Each seed file is named after the vector it
comes from. Signed requests for the mock are signed here (RFC 5849, HMAC-SHA1, standard library
only) with the demo world's made-up credentials at the mock target's clock.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import urllib.parse

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

# The demo world (crates/twitter-auth-mock/src/config.rs), and the handler's clock in
# fuzz/src/mock_props.rs.
WEB_KEY = "mockWebConsumerKey0000001"
WEB_SECRET = "mockWebConsumerSecret0000000000000000000000000001"
ALICE_TOKEN = "1500000000000000001-mockWebAliceAccessToken000000000000001"
ALICE_SECRET = "mockWebAliceAccessTokenSecret0000000000000001"
NATIVE_CLIENT = "bW9ja05hdGl2ZUNsaWVudDAwMDE6MTpjaQ"
NOW = 1_700_000_000
SEPARATOR = "\n=====\n"
REQUEST_TOKEN = "fuzzRequestToken0000000001"  # fuzz/src/core_props.rs


def enc(s):
    return urllib.parse.quote(s, safe="-._~")


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def write(target, name, data):
    directory = os.path.join(ROOT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, slug(name)), "wb") as f:
        f.write(data)


def header_of(params, realm=None, signature=None):
    parts = []
    if realm is not None:
        parts.append('realm="%s"' % realm)
    for name, value in params:
        parts.append('%s="%s"' % (enc(name), enc(value)))
    if signature is not None:
        parts.append('oauth_signature="%s"' % enc(signature))
    return "OAuth " + ", ".join(parts)


def signature_vectors(vectors_dir):
    for name in ("x-docs-oauth1.json", "rfc5849.json", "oauth1-other-published.json"):
        with open(os.path.join(vectors_dir, name)) as f:
            for v in json.load(f)["vectors"]:
                if v.get("kind") == "oauth1-signature":
                    yield v


def oauth1_seeds(vectors_dir):
    for v in signature_vectors(vectors_dir):
        request, oauth, secrets = v["request"], v["oauth"], v["secrets"]
        params = oauth["params"]
        expected = v["expected"]
        signature = expected.get("oauth_signature")
        header = expected.get("authorization_header") or header_of(
            params, oauth.get("realm"), signature
        )
        write("oauth1_header", v["id"], header)
        write(
            "oauth1_verify",
            v["id"],
            "\n".join(
                [
                    header,
                    request["method"],
                    request["url"],
                    request.get("content_type") or "",
                    secrets["consumer_secret"],
                    secrets.get("token_secret") or "",
                    request.get("body") or "",
                ]
            ),
        )
        p = dict(params)
        write(
            "oauth1_sign",
            v["id"],
            "\n".join(
                [
                    request["method"],
                    request["url"],
                    request.get("content_type") or "",
                    p.get("oauth_consumer_key", ""),
                    secrets["consumer_secret"],
                    p.get("oauth_token", ""),
                    secrets.get("token_secret") or "",
                    p.get("oauth_nonce", ""),
                    p.get("oauth_timestamp", ""),
                    p.get("oauth_callback", ""),
                    p.get("oauth_verifier", ""),
                    oauth.get("realm") or "",
                    v.get("signature_method", "HMAC-SHA1"),
                    request.get("body") or "",
                ]
            ),
        )
    with open(os.path.join(vectors_dir, "oauth1-header-parse.json")) as f:
        for v in json.load(f)["vectors"]:
            for i, case in enumerate(v.get("cases", [])):
                write("oauth1_header", "%s-%d" % (v["id"], i), case["header"])
    # Edges of the grammar (RFC 5849 §3.5.1, RFC 9110 §5.6).
    for i, edge in enumerate(
        [
            "OAuth",
            "oauth ",
            'OAuth realm="a\\"b", oauth_nonce="x"',
            'OAuth a="1", , b=token, c=""',
            'OAuth oauth_nonce="%E2%98%83"',
        ]
    ):
        write("oauth1_header", "edge-%d" % i, edge)
    with open(os.path.join(vectors_dir, "percent-encoding.json")) as f:
        for v in json.load(f)["vectors"]:
            for i, case in enumerate(v.get("cases", [])):
                write("percent_encoding", "%s-%d-in" % (v["id"], i), case["input"])
                write("percent_encoding", "%s-%d-out" % (v["id"], i), case["encoded"])


def pkce_seeds(vectors_dir):
    with open(os.path.join(vectors_dir, "pkce.json")) as f:
        for v in json.load(f)["vectors"]:
            verifier, challenge = v["code_verifier"], v["code_challenge"]
            write("pkce", v["id"], "\n".join([verifier, challenge, "S256", "xyz"]))
            write("pkce", v["id"] + "-plain", "\n".join([verifier, verifier, "plain", "a" * 500]))
            write("pkce", v["id"] + "-short", "\n".join([verifier[:42], challenge, "s256", ""]))
            write("pkce", v["id"] + "-long", "\n".join(["~" * 129, challenge[:42], "?", "a" * 501]))


def http_message(start, headers, body):
    head = [start] + ["%s: %s" % (k, v) for k, v in headers]
    return "\n".join(head) + "\n\n" + (body if isinstance(body, str) else json.dumps(body))


def core_seeds(vectors_dir):
    with open(os.path.join(vectors_dir, "x-wire-samples.json")) as f:
        samples = {v["id"]: v for v in json.load(f)["vectors"]}
    form = "text/html; charset=utf-8"
    js = "application/json; charset=utf-8"
    answers = {
        "request_token": ("200", form, samples["oauth1/request_token-response"]["body"]),
        "access_token": ("200", form, samples["oauth1/access_token-response"]["body"]),
        "invalidate_token": ("200", js, samples["oauth1/invalidate_token"]["response_200"]),
        "invalid_token": (
            "401",
            js,
            samples["oauth1/invalidate_token"]["response_after_invalidation"]["body"],
        ),
        "app_only": ("200", js, samples["oauth2/app-only-token"]["response_200"]),
        "app_only_99": (
            "403",
            js,
            samples["oauth2/app-only-token"]["response_403_bad_credentials_or_too_frequent"],
        ),
        "app_only_invalidate": ("200", js, samples["oauth2/app-only-invalidate"]["response_200"]),
        "tokens": ("200", js, samples["oauth2/token-responses"]["with_offline_access"]),
        "tokens_no_refresh": ("200", js, samples["oauth2/token-responses"]["without_offline_access"]),
        "revoked": ("200", js, samples["oauth2/refresh-and-revoke"]["revoke_response_200"]),
        "problem": ("403", "application/problem+json", samples["v2/problem"]["client_forbidden"]),
        "unsupported": (
            "403",
            "application/problem+json",
            samples["v2/problem"]["unsupported_authentication"],
        ),
        "rate_limited": ("429", js, samples["v2/problem"]["rate_limited_v1_style"]["body"]),
    }
    for i, sample in enumerate(samples["oauth2/errors"]["samples"]):
        answers["oauth2-error-%d" % i] = (str(sample["status"]), js, sample["body"])
    for name, (status, content_type, body) in answers.items():
        write("core_finish", name, http_message(status, [("content-type", content_type)], body))
    me = samples["v2/users-me"]
    write(
        "core_finish",
        "users-me",
        http_message("200", list(me["response_headers"].items()), me["response_body"]),
    )
    write(
        "core_finish",
        "rate-limited-24h",
        http_message(
            "429",
            [
                ("date", "Fri, 07 Jan 2022 08:05:56 UTC"),
                ("x-rate-limit-limit", "200"),
                ("x-rate-limit-remaining", "150"),
                ("x-rate-limit-reset", "1641543656"),
                ("x-app-limit-24hour-limit", "10000"),
                ("x-app-limit-24hour-remaining", "0"),
                ("x-app-limit-24hour-reset", "1641549956"),
                ("retry-after", "120"),
            ],
            samples["v2/problem"]["rate_limited_v1_style"]["body"],
        ),
    )
    write(
        "core_finish",
        "verify-credentials",
        http_message(
            "200",
            [("date", "Sun, 30 Nov 2014 20:42:12 GMT")],
            {"id": 82301637, "id_str": "82301637", "name": "Tweepy test 123", "screen_name": "tweepytest"},
        ),
    )
    write("core_finish", "xml-error", http_message("401", [], "<hash><error>Invalid / expired Token</error></hash>"))
    # Callbacks: the core target's pending logins wait for REQUEST_TOKEN and `{state}`.
    callback = samples["oauth1/callback"]["url"]
    token = re.search(r"oauth_token=([^&]+)", callback).group(1)
    write("core_callback", "oauth1-callback", "oauth1\n" + callback.replace(token, REQUEST_TOKEN))
    write("core_callback", "oauth1-other-token", "oauth1\n" + callback)
    write("core_callback", "oauth1-denied", "oauth1\nhttps://yourCallbackUrl.com?denied=" + REQUEST_TOKEN)
    write("core_callback", "pin", "pin\n1234567")
    pkce_cb = samples["oauth2/pkce-authorize-url"]["callback"]
    state = re.search(r"state=([^&]+)", pkce_cb).group(1)
    write("core_callback", "pkce-callback", "pkce\n" + pkce_cb.replace(state, "{state}"))
    write("core_callback", "pkce-other-state", "pkce\n" + pkce_cb)
    write(
        "core_callback",
        "pkce-denied",
        "pkce\nhttp://127.0.0.1:8765/callback?error=access_denied&error_description=no&state={state}",
    )


def sign(method, url, consumer_secret, token_secret, oauth, form_body=""):
    """An RFC 5849 HMAC-SHA1 Authorization header (standard library only)."""
    parsed = urllib.parse.urlsplit(url)
    base_uri = "%s://%s%s" % (parsed.scheme, parsed.netloc.lower(), parsed.path)
    pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    pairs += urllib.parse.parse_qsl(form_body, keep_blank_values=True)
    pairs += list(oauth)
    normalized = "&".join("%s=%s" % kv for kv in sorted((enc(k), enc(v)) for k, v in pairs))
    base = "&".join([method.upper(), enc(base_uri), enc(normalized)])
    key = "%s&%s" % (enc(consumer_secret), enc(token_secret))
    digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
    return header_of(oauth, signature=base64.b64encode(digest).decode())


def oauth_params(nonce, token=None, **extra):
    params = [
        ("oauth_consumer_key", WEB_KEY),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", str(NOW)),
    ]
    if token:
        params.append(("oauth_token", token))
    params.append(("oauth_version", "1.0"))
    params += sorted(extra.items())
    return params


def mock_seeds():
    host = "http://127.0.0.1"
    form = "application/x-www-form-urlencoded"

    def signed(method, path, nonce, token=None, token_secret="", body="", content_type=None, **extra):
        header = sign(method, host + path, WEB_SECRET, token_secret, oauth_params(nonce, token, **extra), body if content_type == form else "")
        headers = [("authorization", header)]
        if content_type:
            headers.append(("content-type", content_type))
        return http_message("%s %s" % (method, path), headers, body)

    basic = "Basic " + base64.b64encode(("%s:%s" % (WEB_KEY, WEB_SECRET)).encode()).decode()
    seeds = {
        "request_token": signed("POST", "/oauth/request_token", "n1", body="", content_type=form, oauth_callback="oob"),
        "users_me_oauth1": signed("GET", "/2/users/me", "n2", ALICE_TOKEN, ALICE_SECRET),
        "users_me_fields": signed("GET", "/2/users/me?user.fields=created_at,public_metrics,confirmed_email", "n3", ALICE_TOKEN, ALICE_SECRET),
        "verify_credentials": signed("GET", "/1.1/account/verify_credentials.json?include_email=true&skip_status=1", "n4", ALICE_TOKEN, ALICE_SECRET),
        "tweet": signed("POST", "/2/tweets", "n5", ALICE_TOKEN, ALICE_SECRET, body='{"text":"hello"}', content_type="application/json"),
        "invalidate": signed("POST", "/1.1/oauth/invalidate_token", "n6", ALICE_TOKEN, ALICE_SECRET, body="", content_type=form),
        "duplicate_keys": signed("GET", "/2/users/me?user.fields=id&user.fields=name", "n7", ALICE_TOKEN, ALICE_SECRET),
        "non_ascii_nonce": signed("GET", "/2/users/me", "n\u00e9", ALICE_TOKEN, ALICE_SECRET),
        "app_only": http_message("POST /oauth2/token", [("authorization", basic), ("content-type", form + ";charset=UTF-8")], "grant_type=client_credentials"),
        "pkce_authorize": http_message(
            "GET /i/oauth2/authorize?response_type=code&client_id=%s&redirect_uri=%s&scope=tweet.read%%20users.read%%20offline.access&state=abc&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
            % (NATIVE_CLIENT, enc("http://127.0.0.1:8765/callback")),
            [],
            "",
        ),
        "code_exchange": http_message(
            "POST /2/oauth2/token",
            [("content-type", form)],
            "code=bm90LWEtY29kZQ&grant_type=authorization_code&redirect_uri=%s&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=%s"
            % (enc("http://127.0.0.1:8765/callback"), NATIVE_CLIENT),
        ),
        "revoke": http_message("POST /2/oauth2/revoke", [("content-type", form)], "token=abc&token_type_hint=access_token&client_id=" + NATIVE_CLIENT),
        "unknown": http_message("GET /1.1/statuses/home_timeline.json", [], ""),
        "truncated_head": "GET /2/users/me?",
    }
    # A flow in one input: a bearer, then an API call with it is not possible (the token is
    # random), but the same world sees several requests: token, authorize page, users/me.
    seeds["sequence"] = SEPARATOR.join([seeds["app_only"], seeds["pkce_authorize"], seeds["users_me_oauth1"]])
    for name, data in seeds.items():
        write("mock_handler", name, data)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    vectors_dir = sys.argv[1]
    shutil.rmtree(ROOT, ignore_errors=True)
    oauth1_seeds(vectors_dir)
    pkce_seeds(vectors_dir)
    core_seeds(vectors_dir)
    mock_seeds()
    counts = {t: len(os.listdir(os.path.join(ROOT, t))) for t in sorted(os.listdir(ROOT))}
    print(counts)


if __name__ == "__main__":
    main()
