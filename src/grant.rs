//! The form fields of each OAuth grant that carries the minted JWT: the
//! RFC 7523 jwt-bearer grant, RFC 7523 client authentication in a
//! `client_credentials` grant, and the RFC 8693 token exchange.

use crate::credential::{ExchangeSpec, Grant, TokenExchange};

/// The `grant_type` of the RFC 7523 section 2.1 jwt-bearer grant.
pub const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The `grant_type` of the RFC 8693 token exchange.
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The `client_assertion_type` of RFC 7523 section 2.2.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The default RFC 8693 `subject_token_type`: the subject token is a JWT.
pub const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// Builds the form fields of the token request: the grant's own fields,
/// then `scope` when it is sent in the form, then `[token_params]`. The
/// GitHub installation grant sends no form, so its list is empty.
pub fn form<'a>(spec: &'a ExchangeSpec, assertion: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut fields = match &spec.grant {
        Grant::JwtBearer => vec![("grant_type", GRANT_JWT_BEARER), ("assertion", assertion)],
        Grant::ClientCredentials { client_id } => vec![
            ("grant_type", "client_credentials"),
            ("client_assertion_type", CLIENT_ASSERTION_TYPE),
            ("client_assertion", assertion),
            ("client_id", client_id.as_str()),
        ],
        Grant::TokenExchange(exchange) => token_exchange_fields(exchange, assertion),
        Grant::GithubInstallation => return Vec::new(),
    };
    if let Some(scope) = spec.scope.as_deref() {
        fields.push(("scope", scope));
    }
    fields.extend(spec.params.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    fields
}

/// Builds the RFC 8693 section 2.1 fields; `resource` and `audience` are
/// repeated once per value, as the RFC allows.
fn token_exchange_fields<'a>(
    exchange: &'a TokenExchange,
    subject_token: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("grant_type", GRANT_TOKEN_EXCHANGE),
        ("subject_token", subject_token),
        ("subject_token_type", exchange.subject_token_type.as_str()),
    ];
    if let Some(requested) = exchange.requested_token_type.as_deref() {
        fields.push(("requested_token_type", requested));
    }
    fields.extend(exchange.resource.iter().map(|r| ("resource", r.as_str())));
    fields.extend(exchange.audience.iter().map(|a| ("audience", a.as_str())));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn spec(grant: Grant, scope: Option<&str>) -> ExchangeSpec {
        ExchangeSpec {
            token_endpoint: Url::parse("https://a.example/token").unwrap(),
            scope: scope.map(str::to_string),
            grant,
            params: vec![("client_secret".to_string(), "s".to_string())],
            token_lifetime: None,
        }
    }

    #[test]
    fn jwt_bearer_fields() {
        let spec = spec(Grant::JwtBearer, Some("read write"));
        assert_eq!(
            form(&spec, "jwt"),
            vec![
                ("grant_type", GRANT_JWT_BEARER),
                ("assertion", "jwt"),
                ("scope", "read write"),
                ("client_secret", "s")
            ]
        );
    }

    #[test]
    fn client_credentials_fields() {
        let spec = spec(Grant::ClientCredentials { client_id: "app".to_string() }, None);
        assert_eq!(
            form(&spec, "jwt"),
            vec![
                ("grant_type", "client_credentials"),
                ("client_assertion_type", CLIENT_ASSERTION_TYPE),
                ("client_assertion", "jwt"),
                ("client_id", "app"),
                ("client_secret", "s")
            ]
        );
    }

    #[test]
    fn token_exchange_repeats_resource_and_audience() {
        let exchange = TokenExchange {
            subject_token_type: TOKEN_TYPE_JWT.to_string(),
            requested_token_type: None,
            resource: vec!["https://r1".to_string(), "https://r2".to_string()],
            audience: vec!["a1".to_string()],
        };
        let spec = spec(Grant::TokenExchange(Box::new(exchange)), None);
        let fields = form(&spec, "jwt");
        assert_eq!(fields[0], ("grant_type", GRANT_TOKEN_EXCHANGE));
        assert_eq!(fields[1], ("subject_token", "jwt"));
        assert_eq!(fields[2], ("subject_token_type", TOKEN_TYPE_JWT));
        assert_eq!(fields[3], ("resource", "https://r1"));
        assert_eq!(fields[4], ("resource", "https://r2"));
        assert_eq!(fields[5], ("audience", "a1"));
        assert!(!fields.iter().any(|(name, _)| *name == "requested_token_type"));
    }
}
