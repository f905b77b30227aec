"""A small OpenID Connect provider for the tests, served over real HTTP on a free loopback port.

Built from authlib's server components — `AuthorizationServer`, the authorization-code grant with PKCE
(`CodeChallenge`, required) and OpenID Connect's `OpenIDCode` (nonce required) — over a Starlette app, with an RSA
key of joserfc's signing the ID tokens. It implements what hki's relying party uses: discovery
(`/.well-known/openid-configuration`), `/authorize` (no login screen: it signs in whoever the test put in
`provider.signed_in`, or refuses with `access_denied` when that is None), `/token` (client_secret_basic or
client_secret_post), `/jwks`.

To test hki's checks the test can make it misbehave: `provider.claims_override` replaces claims of the next ID
tokens (a wrong `nonce`, `aud`, `iss`, an `exp` in the past), `provider.sign_with` signs them with another key.

    with oidc_provider() as provider:
        provider.add_user("u-1", preferred_username="anna", name="Anna Schmidt")
        provider.signed_in = "u-1"
        settings = Settings(oidc_issuer=provider.issuer, oidc_client_id=provider.client_id,
                            oidc_client_secret=provider.client_secret, …)
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Error, OAuth2Request, grants
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from support.live_server import serve_app

SCOPES = ["openid", "profile", "email"]


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        # hki's port is known only once it is served: any loopback callback of /login/oidc/callback is registered
        return redirect_uri in self.redirect_uris or (
            redirect_uri.startswith("http://127.0.0.1:") and redirect_uri.endswith("/login/oidc/callback"))

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None

    def is_expired(self):
        return time.time() - self.auth_time > 600


class _Request(OAuth2Request):
    """An OAuth2Request from a Starlette request's already-read query and form."""

    def __init__(self, request: Request, form: dict[str, str]):
        super().__init__(request.method, str(request.url), headers=request.headers)
        self._args = dict(request.query_params)
        self._form = form
        self.payload = BasicOAuth2Payload({**self._args, **form})

    @property
    def args(self):
        return self._args

    @property
    def form(self):
        return self._form


class Provider:
    """The provider's state: its key, client, people, codes; what the test changes to make it misbehave."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"})
        self.client_id = "hki-test"
        self.client_secret = secrets.token_urlsafe(24)
        self.client = Client(self.client_id, self.client_secret, [])
        self.users: dict[str, dict] = {}
        self.codes: dict[str, Code] = {}
        self.signed_in: str | None = None
        self.claims_override: dict = {}
        self.sign_with: RSAKey | None = None
        self.token_requests: list[dict] = []  # what hki sent to /token (form fields, auth header present)
        self.authorize_requests: list[dict] = []
        self.issuer = ""  # set once served
        self.server = self._server()

    def add_user(self, subject: str, **claims: str) -> None:
        self.users[subject] = {"sub": subject, **claims}

    def _server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):
            def query_client(self, client_id):
                return provider.client if client_id == provider.client_id else None

            def save_token(self, token, request):
                pass

            def create_oauth2_request(self, request):
                return request

            def handle_response(self, status, body, headers):
                headers = dict(headers)
                if isinstance(body, dict):
                    return JSONResponse(body, status, headers={k: v for k, v in headers.items()
                                                               if k.lower() != "content-type"})
                return Response(body or "", status, headers=headers)

            def send_signal(self, name, *args, **kwargs):
                pass

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code, request):
                data = request.payload.data
                provider.codes[code] = Code(code, request.client.client_id, data.get("redirect_uri", ""),
                                            data.get("scope", ""), request.user, data.get("nonce"),
                                            data.get("code_challenge"), data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id and not found.is_expired() else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, request):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.sign_with or provider.key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": (provider.sign_with or provider.key).kid}

            def get_client_claims(self, client):
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def generate_user_info(self, user, scope):
                return UserInfo({**provider.users[user], **provider.claims_override})

        server = Server(scopes_supported=SCOPES)
        server.register_grant(CodeGrant, [CodeChallenge(required=True), IdToken(require_nonce=True)])
        server.register_token_generator("default", lambda grant_type, client, user=None, scope=None,
                                        expires_in=None, include_refresh_token=True: {
            "token_type": "Bearer", "access_token": secrets.token_urlsafe(24), "expires_in": 300, "scope": scope})
        return server

    # ---------------------------------------------------------------- the endpoints

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "scopes_supported": SCOPES,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"], "grant_types_supported": ["authorization_code"]})

    async def jwks(self, request: Request) -> Response:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def authorize(self, request: Request) -> Response:
        self.authorize_requests.append(dict(request.query_params))
        oauth_request = _Request(request, {})
        try:
            grant = self.server.get_consent_grant(oauth_request, end_user=self.signed_in)
        except OAuth2Error as error:
            return self.server.handle_error_response(oauth_request, error)
        return self.server.create_authorization_response(oauth_request, grant_user=self.signed_in, grant=grant)

    async def token(self, request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        self.token_requests.append({**form, "authorization": "Authorization" in request.headers})
        return self.server.create_token_response(_Request(request, form))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/.well-known/openid-configuration", self.discovery),
                                 Route("/jwks", self.jwks), Route("/authorize", self.authorize),
                                 Route("/token", self.token, methods=["POST"])])


@contextmanager
def oidc_provider() -> Iterator[Provider]:
    """A provider served on a free loopback port for the block (its `issuer` is its base URL)."""
    provider = Provider()
    with serve_app(provider.app()) as url:
        provider.issuer = url
        yield provider
