"""Python peer of the interoperability tests: an RFC 7523 authorization
server built on Authlib, an API that accepts its access tokens, and a JWT
verifier built on PyJWT.

It listens on a free loopback port, prints "listening PORT" on stdout, and
exits when its standard input closes, so the test process that started it
never leaves it behind.

Endpoints, all taking and returning JSON except /token and /api:
  POST /public   {"path"} -> {"pem"}: the public key of a private key file,
                 read with the cryptography package (PEM, DER or OpenSSH).
  POST /verify   {"cases": [{"token", "key", "expect"}]} -> {"results"}
  POST /clients  {"issuer", "key", "subject"}: registers a jwt-bearer client.
  POST /token    the RFC 7523 jwt-bearer grant, and the client_credentials
                 grant with private_key_jwt client authentication (RFC 7523
                 section 2.2), form encoded; client ids are issuers.
  GET  /api/...  replies 200 with the token's client and scope, else 401.
"""

import json
import re
import secrets
import sys
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import jwt
from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion, JWTBearerGrant
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, OKPKey, OctKey, RSAKey
from joserfc.jws import JWSRegistry

# Authlib decodes assertions with joserfc, which by default accepts only
# the algorithms it marks as recommended (EdDSA, ES384 and the PS family
# are not). A server that accepts every algorithm namedcred signs with
# lets each one be tested.
# joserfc warns that RFC 9864 deprecates the name "EdDSA" in favour of
# "Ed25519"; servers still take "EdDSA", and so does this one, quietly.
warnings.filterwarnings("ignore", message="EdDSA is deprecated")
for name in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
             "EdDSA", "HS256", "HS384", "HS512"):
    if name not in JWSRegistry.recommended:
        JWSRegistry.recommended.append(name)

# The test fixtures include a short HMAC secret on purpose; PyJWT still
# verifies with it, and its warning would only clutter the test output.
warnings.filterwarnings("ignore", category=jwt.warnings.InsecureKeyLengthWarning)

SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")

#: Clients by issuer: {"key": joserfc key, "subject": str or None}.
CLIENTS = {}
#: Access tokens issued by /token, mapped to their client and scope.
ISSUED = {}
#: Every client assertion jti seen, to refuse a replayed assertion.
SEEN_JTIS = set()
LOCK = threading.Lock()


def public_pem(path):
    """Returns the SubjectPublicKeyInfo PEM of the private key in `path`."""
    data = open(path, "rb").read()
    loaders = [
        lambda: serialization.load_pem_private_key(data, None),
        lambda: serialization.load_der_private_key(data, None),
        lambda: serialization.load_ssh_private_key(data, None),
    ]
    for load in loaders:
        try:
            key = load()
        except (ValueError, TypeError):
            continue
        return key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()
    raise ValueError(f"cryptography cannot read {path}")


def verify(token, key, expect):
    """Verifies one token with PyJWT and checks its header and claims
    against `expect`. Returns None when it passes, else the reason."""
    segments = token.split(".")
    if len(segments) != 3 or not all(SEGMENT.match(s) for s in segments):
        return "a segment is not unpadded base64url"
    header = jwt.get_unverified_header(token)
    for name in ("alg", "typ", "kid"):
        if header.get(name) != expect.get(name):
            return f"header {name} is {header.get(name)!r}, expected {expect.get(name)!r}"
    options = {"require": ["iss", "iat", "exp", "jti"], "verify_aud": "aud" in expect}
    claims = jwt.decode(
        token,
        key,
        algorithms=[expect["alg"]],
        audience=expect.get("aud"),
        issuer=expect["iss"],
        options=options,
    )
    return check_claims(claims, expect)


def check_claims(claims, expect):
    """Checks the claim values that PyJWT leaves to the caller."""
    for name in ("iat", "exp", "nbf"):
        if name in claims and type(claims[name]) is not int:
            return f"{name} is {claims[name]!r}, not an integer"
    if claims["exp"] - claims["iat"] != expect["lifetime"]:
        return f"exp - iat is {claims['exp'] - claims['iat']}, expected {expect['lifetime']}"
    if claims.get("sub") != expect.get("sub"):
        return f"sub is {claims.get('sub')!r}, expected {expect.get('sub')!r}"
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        return "jti is empty or not a string"
    return None


def verify_all(cases):
    """Verifies every case, turning each failure into its reason."""
    results = []
    for case in cases:
        try:
            error = verify(case["token"], case["key"], case["expect"])
        except Exception as e:  # every PyJWT rejection is a result, not a crash
            error = f"{type(e).__name__}: {e}"
        results.append({"ok": error is None, "error": error})
    return {"results": results}


def import_key(text):
    """Imports a client's public key PEM, or an HMAC secret, for Authlib."""
    if "BEGIN PUBLIC KEY" not in text:
        return OctKey.import_key(text)
    for kind in (RSAKey, ECKey, OKPKey):
        try:
            return kind.import_key(text)
        except Exception:
            continue
    raise ValueError("unsupported public key")


class Client:
    """A jwt-bearer client as Authlib's grant sees it."""

    def __init__(self, issuer):
        self.issuer = issuer

    def get_client_id(self):
        return self.issuer

    def check_grant_type(self, grant_type):
        return grant_type in (JWTBearerGrant.GRANT_TYPE, "client_credentials")

    def check_endpoint_auth_method(self, method, endpoint):
        return method == ClientAssertion.CLIENT_AUTH_METHOD and endpoint == "token"

    def get_allowed_scope(self, scope):
        # An omitted scope gets the empty default scope, which RFC 6749
        # section 3.3 leaves to the server.
        return scope or ""


class Grant(JWTBearerGrant):
    """The jwt-bearer grant over the clients registered at /clients."""

    def resolve_issuer_client(self, issuer):
        return Client(issuer) if issuer in CLIENTS else None

    def resolve_client_public_key(self, client):
        return CLIENTS[client.issuer]["key"]

    def authenticate_user(self, subject):
        return subject

    def has_granted_permission(self, client, user):
        return CLIENTS[client.issuer]["subject"] in (None, user)

    def get_audiences(self):
        return [self.server.token_url]


class ClientCredentials(ClientCredentialsGrant):
    """The client_credentials grant, for clients that sign an assertion."""

    TOKEN_ENDPOINT_AUTH_METHODS = [JWTBearerClientAssertion.CLIENT_AUTH_METHOD]


class ClientAssertion(JWTBearerClientAssertion):
    """private_key_jwt client authentication over the registered clients,
    refusing any jti it has seen before."""

    def __init__(self, token_url):
        super().__init__()
        self.audience = token_url

    def get_audiences(self):
        return [self.audience]

    def resolve_client_public_key(self, client):
        return CLIENTS[client.issuer]["key"]

    def validate_jti(self, claims, jti):
        with LOCK:
            if jti in SEEN_JTIS:
                return False
            SEEN_JTIS.add(jti)
            return True


class FormRequest(OAuth2Request):
    """A form-encoded POST, in the shape Authlib's grants read."""

    def __init__(self, uri, headers, form):
        super().__init__("POST", uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self):
        return self._form

    @property
    def args(self):
        return {}


class Server(AuthorizationServer):
    """Authlib's authorization server bound to this HTTP server."""

    def __init__(self, token_url):
        super().__init__()
        self.token_url = token_url
        self.register_grant(Grant)
        self.register_grant(ClientCredentials)
        self.register_client_auth_method(
            ClientAssertion.CLIENT_AUTH_METHOD, ClientAssertion(token_url)
        )
        self.register_token_generator("default", BearerTokenGenerator(new_access_token))

    def query_client(self, client_id):
        return Client(client_id) if client_id in CLIENTS else None

    def create_oauth2_request(self, request):
        return request

    def handle_response(self, status, body, headers):
        return status, body, headers

    def save_token(self, token, request):
        with LOCK:
            ISSUED[token["access_token"]] = {
                "client": request.client.issuer,
                "scope": token.get("scope"),
            }

    def send_signal(self, name, *args, **kwargs):
        pass


def new_access_token(client, grant_type, user, scope):
    return "at-" + secrets.token_urlsafe(24)


class Handler(BaseHTTPRequestHandler):
    """Routes each request to one of the endpoints above."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def reply(self, status, value, headers=()):
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path == "/token":
            return self.token()
        request = json.loads(self.body())
        if self.path == "/public":
            return self.reply(200, {"pem": public_pem(request["path"])})
        if self.path == "/verify":
            return self.reply(200, verify_all(request["cases"]))
        if self.path == "/clients":
            with LOCK:
                CLIENTS[request["issuer"]] = {
                    "key": import_key(request["key"]),
                    "subject": request.get("subject"),
                }
            return self.reply(200, {})
        self.reply(404, {"error": "not found"})

    def token(self):
        form = dict(parse_qsl(self.body().decode()))
        request = FormRequest(self.server.authlib.token_url, dict(self.headers), form)
        status, body, headers = self.server.authlib.create_token_response(request)
        self.reply(status, body, headers)

    def do_GET(self):
        if not self.path.startswith("/api"):
            return self.reply(404, {"error": "not found"})
        value = self.headers.get("Authorization", "")
        with LOCK:
            grant = ISSUED.get(value.removeprefix("Bearer ")) if value.startswith("Bearer ") else None
        if grant is None:
            return self.reply(401, {"error": "invalid_token"})
        self.reply(200, {"path": self.path, **grant})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    server.authlib = Server(f"http://127.0.0.1:{port}/token")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening {port}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
