"""Single sign-on with the city's OpenID Connect provider (settings `oidc_issuer`, `oidc_client_id`,
`oidc_client_secret`, `oidc_default_role`): the authorization-code flow with PKCE, state and nonce.

1. `/login/oidc` (api/routers/accounts.py) asks `begin` for the provider's authorization address: the provider's
   metadata come from `<issuer>/.well-known/openid-configuration` (its `issuer` must be the configured one, every
   address https — plain http only on the loopback interface, for tests), and a random `state`, `nonce` and PKCE
   `code_verifier` (S256) are kept in the signed, short-lived cookie `hki_oidc` (`FLOW_SECONDS`).
2. The provider sends the browser back to `/login/oidc/callback?code=…&state=…`; `finish` checks the state against
   the cookie, exchanges the code at the token endpoint (with the verifier, the client authenticated as the
   provider's metadata allow: authlib's OAuth 2.0 request parameters and client authentication, sent with httpx),
   and verifies the ID token with joserfc: its signature with the provider's published keys (asymmetric
   algorithms only; fetched again once for an unknown key id), `iss`, `aud` (and `azp` with several audiences),
   `exp` and `iat` (60 s leeway), `nonce`.
3. The router maps the verified `sub` and `preferred_username` to an account (graph.workspace.accounts
   `sign_in_with_provider`) and starts a session as for a password.

Everything that goes wrong is `ProviderError(code)`: the page words it, the audit log records `oidc_<code>`.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from authlib.common.security import is_secure_transport
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from itsdangerous import BadSignature, URLSafeSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from graph.config import Settings

if TYPE_CHECKING:
    import httpx  # imported where a sign-in uses it: its import (about 0.1 s) would delay every server's first answer

FLOW_COOKIE = "hki_oidc"
FLOW_SECONDS = 600  # from leaving for the provider to coming back
SCOPES = "openid profile email"
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
METADATA_SECONDS = 3600  # the provider's metadata and keys are fetched again after this long
TIMEOUT_SECONDS = 10.0  # for each request to the provider
LEEWAY = 60


class ProviderError(Exception):
    """The sign-in through the provider failed; `code` says where (for the page's words and the audit log)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.code


@dataclass(frozen=True)
class Identity:
    """Whom the provider vouched for, from a verified ID token."""

    issuer: str
    subject: str
    preferred_username: str
    name: str
    email: str


def _allowed(url: object) -> bool:
    return isinstance(url, str) and is_secure_transport(url) and url.startswith(("https://", "http://"))


class OpenIDConnect:
    """The relying party of one provider; keeps its metadata and keys for METADATA_SECONDS."""

    def __init__(self, settings: Settings):
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret
        self._metadata: dict | None = None
        self._keys: KeySet | None = None
        self._fetched = 0.0
        if not _allowed(self.issuer):
            raise ValueError(f"oidc_issuer = {settings.oidc_issuer!r}: must be an https address (http only on the "
                             "loopback interface, for tests)")
        if not self.client_id:
            raise ValueError("oidc_client_id is empty: the provider's administrators register hki as a client and "
                             "give it a client id")

    def _client(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT_SECONDS), follow_redirects=False)

    async def _get_json(self, url: str) -> dict:
        import httpx

        try:
            async with self._client() as client:
                answer = await client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ProviderError("unreachable", f"the provider at {url} did not answer: {exc}") from None
        if answer.status_code != 200:
            raise ProviderError("unreachable", f"the provider answered {url} with HTTP {answer.status_code}")
        try:
            value = answer.json()
        except ValueError:
            raise ProviderError("invalid", f"the provider's answer at {url} is not JSON") from None
        if not isinstance(value, dict):
            raise ProviderError("invalid", f"the provider's answer at {url} is not a JSON object")
        return value

    async def metadata(self, refresh: bool = False) -> dict:
        """The provider's metadata (OpenID Connect Discovery), checked."""
        if self._metadata is not None and not refresh and time.monotonic() - self._fetched < METADATA_SECONDS:
            return self._metadata
        found = await self._get_json(self.issuer + "/.well-known/openid-configuration")
        if str(found.get("issuer", "")).rstrip("/") != self.issuer:
            raise ProviderError("invalid", f"the provider's metadata name the issuer {found.get('issuer')!r}, not the "
                                           f"configured {self.issuer!r}")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not _allowed(found.get(name)):
                raise ProviderError("invalid", f"the provider's {name} {found.get(name)!r} is missing or not https")
        methods = found.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise ProviderError("invalid", "the provider does not support PKCE with S256")
        self._metadata, self._keys, self._fetched = found, None, time.monotonic()
        return found

    async def keys(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            meta = await self.metadata()
            try:
                self._keys = KeySet.import_key_set(await self._get_json(meta["jwks_uri"]))
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise ProviderError("invalid", f"the provider's keys cannot be read: {exc}") from None
        return self._keys

    def _auth_method(self, meta: dict) -> str:
        if not self.client_secret:
            return "none"
        supported = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        return "client_secret_basic" if "client_secret_basic" in supported else "client_secret_post"

    async def begin(self, redirect_uri: str) -> tuple[str, dict]:
        """The provider's authorization address to send the browser to, and the flow to keep in the cookie."""
        meta = await self.metadata()
        flow = {"state": secrets.token_urlsafe(32), "nonce": secrets.token_urlsafe(32),
                "verifier": secrets.token_urlsafe(64)}
        url = prepare_grant_uri(meta["authorization_endpoint"], self.client_id, "code", redirect_uri=redirect_uri,
                                scope=SCOPES, state=flow["state"], nonce=flow["nonce"],
                                code_challenge=create_s256_code_challenge(flow["verifier"]),
                                code_challenge_method="S256")
        return url, flow

    async def finish(self, redirect_uri: str, params: dict[str, str], flow: dict) -> Identity:
        """The person the provider vouched for, from the callback's parameters and the kept flow."""
        if params.get("error"):
            raise ProviderError("denied", f"the provider refused the sign-in: {params.get('error')} "
                                          f"{params.get('error_description', '')}".strip())
        state, code = params.get("state", ""), params.get("code", "")
        if not state or not secrets.compare_digest(state.encode(), str(flow.get("state", "")).encode()):
            raise ProviderError("state", "the callback's state does not match the sign-in this browser began")
        if not code:
            raise ProviderError("invalid", "the callback carries no code")
        meta = await self.metadata()
        body = prepare_token_request("authorization_code", code=code, redirect_uri=redirect_uri,
                                     code_verifier=flow["verifier"])
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        auth = ClientAuth(self.client_id, self.client_secret, self._auth_method(meta))
        url, headers, body = auth.prepare("POST", meta["token_endpoint"], headers, body)
        import httpx

        try:
            async with self._client() as client:
                answer = await client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError("unreachable", f"the provider's token endpoint did not answer: {exc}") from None
        try:
            token = answer.json()
        except ValueError:
            token = None
        if answer.status_code != 200 or not isinstance(token, dict):
            error = token.get("error", "") if isinstance(token, dict) else ""
            raise ProviderError("token", f"the provider's token endpoint refused the code: HTTP {answer.status_code} "
                                         f"{error}".strip())
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderError("token", "the provider's answer carries no ID token")
        return await self.verify(id_token, flow["nonce"])

    async def verify(self, id_token: str, nonce: str) -> Identity:
        """The claims of `id_token` once its signature, issuer, audience, times and nonce are checked."""
        keys = await self.keys()
        try:
            try:
                decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            except JoseError:
                decoded = jwt.decode(id_token, await self.keys(refresh=True), algorithms=list(ALGORITHMS))
            claims = decoded.claims
            JWTClaimsRegistry(leeway=LEEWAY, iss={"essential": True, "value": self.issuer},
                              sub={"essential": True}, aud={"essential": True, "value": self.client_id},
                              exp={"essential": True}, iat={"essential": True},
                              nonce={"essential": True, "value": nonce}).validate(claims)
        except (JoseError, ValueError) as exc:
            raise ProviderError("token", f"the ID token is not valid: {exc}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise ProviderError("token", "the ID token names several audiences but not hki as its authorised party")
        return Identity(self.issuer, str(claims["sub"]), str(claims.get("preferred_username") or ""),
                        str(claims.get("name") or ""), str(claims.get("email") or ""))


def flow_serializer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="hki-oidc")


def dump_flow(secret: bytes, flow: dict, started: float, next_path: str) -> str:
    return flow_serializer(secret).dumps({**flow, "at": started, "next": next_path})


def load_flow(secret: bytes, raw: str | None, now: float) -> dict:
    """The flow kept in the cookie, or ProviderError("state") when it is missing, forged or too old."""
    if not raw:
        raise ProviderError("state", "this browser began no sign-in with the provider (no hki_oidc cookie)")
    try:
        flow = flow_serializer(secret).loads(raw)
    except BadSignature:
        raise ProviderError("state", "the sign-in cookie is not one hki made") from None
    if not isinstance(flow, dict) or not isinstance(flow.get("at"), (int, float)):
        raise ProviderError("state", "the sign-in cookie is not one hki made")
    if not 0 <= now - flow["at"] <= FLOW_SECONDS:
        raise ProviderError("expired", f"the sign-in with the provider took longer than {FLOW_SECONDS // 60} minutes")
    return flow
