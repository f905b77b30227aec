"""What every route shares on the web: hardening (limits, security headers), content negotiation, the page
language (i18n), offline maps, front-end assets and the API documentation."""
