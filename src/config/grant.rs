//! Validation of the grant fields of a `jwt-exchange` credential: `grant`,
//! `client_id`, the RFC 8693 parameters, `scope_in` and `[token_params]`.

use super::raw::{RawCredential, StringOrList};
use super::resolve::{field_error, join_list};
use crate::credential::{Grant, TokenExchange};
use crate::error::Error;
use crate::grant::TOKEN_TYPE_JWT;

/// The place where the OAuth scope is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeIn {
    /// The `scope` form field of the token request.
    Form,
    /// A `scope` claim in the assertion, as Google expects.
    Claim,
    /// Both places.
    Both,
}

/// Fields that only a `jwt-exchange` credential uses.
const EXCHANGE_ONLY: [&str; 8] = [
    "grant",
    "client_id",
    "subject_token_type",
    "requested_token_type",
    "resource",
    "exchange_audience",
    "scope_in",
    "token_params",
];

/// Rejects the grant fields on a credential whose protocol is `jwt`.
pub fn reject_on_jwt(name: &str, raw: &RawCredential) -> Result<(), Error> {
    let set = [
        raw.grant.is_some(),
        raw.client_id.is_some(),
        raw.subject_token_type.is_some(),
        raw.requested_token_type.is_some(),
        raw.resource.is_some(),
        raw.exchange_audience.is_some(),
        raw.scope_in.is_some(),
        raw.token_params.is_some(),
    ];
    match EXCHANGE_ONLY.iter().zip(set).find(|(_, present)| *present) {
        Some((field, _)) => Err(field_error(
            name,
            field,
            "is only used with protocol = \"jwt-exchange\"".to_string(),
        )),
        None => Ok(()),
    }
}

/// Parses `grant` and the fields that belong to it.
pub fn resolve_grant(name: &str, raw: &RawCredential) -> Result<Grant, Error> {
    let grant = match raw.grant.as_deref().unwrap_or("jwt-bearer") {
        "jwt-bearer" => Grant::JwtBearer,
        "client-credentials" => {
            let client_id = raw.client_id.clone().or_else(|| raw.issuer.clone());
            let client_id = client_id.ok_or_else(|| {
                Error::config(format!("credential `{name}` is missing `client_id`")).with_hint(
                    "set `client_id` (or `issuer`) to the OAuth client id of the application",
                )
            })?;
            Grant::ClientCredentials { client_id }
        }
        "github-installation" => Grant::GithubInstallation,
        "token-exchange" => Grant::TokenExchange(Box::new(TokenExchange {
            subject_token_type: raw
                .subject_token_type
                .clone()
                .unwrap_or_else(|| TOKEN_TYPE_JWT.to_string()),
            requested_token_type: raw.requested_token_type.clone(),
            resource: list(raw.resource.as_ref()),
            audience: list(raw.exchange_audience.as_ref()),
        })),
        other => {
            return Err(field_error(
                name,
                "grant",
                format!(
                    "\"{other}\" is not a grant; use \"jwt-bearer\", \"client-credentials\", \
                     \"token-exchange\" or \"github-installation\""
                ),
            ));
        }
    };
    check_grant_fields(name, raw, &grant)?;
    Ok(grant)
}

/// Rejects fields that the chosen grant would ignore, so that a typo in
/// `grant` is not silently a different request.
fn check_grant_fields(name: &str, raw: &RawCredential, grant: &Grant) -> Result<(), Error> {
    let token_exchange_fields = [
        ("subject_token_type", raw.subject_token_type.is_some()),
        ("requested_token_type", raw.requested_token_type.is_some()),
        ("resource", raw.resource.is_some()),
        ("exchange_audience", raw.exchange_audience.is_some()),
    ];
    if !matches!(grant, Grant::TokenExchange(_))
        && let Some((field, _)) = token_exchange_fields.iter().find(|(_, set)| *set)
    {
        return Err(field_error(
            name,
            field,
            "is only used with grant = \"token-exchange\"".to_string(),
        ));
    }
    if raw.client_id.is_some() && !matches!(grant, Grant::ClientCredentials { .. }) {
        return Err(field_error(
            name,
            "client_id",
            "is only used with grant = \"client-credentials\"; to send a client_id with \
             another grant, set it under [credentials.<name>.token_params]"
                .to_string(),
        ));
    }
    Ok(())
}

/// Parses `scope_in`.
pub fn resolve_scope_in(name: &str, raw: &RawCredential) -> Result<ScopeIn, Error> {
    match raw.scope_in.as_deref() {
        None | Some("form") => Ok(ScopeIn::Form),
        Some("claim") => Ok(ScopeIn::Claim),
        Some("both") => Ok(ScopeIn::Both),
        Some(other) => Err(field_error(
            name,
            "scope_in",
            format!("\"{other}\" is not valid; use \"form\", \"claim\" or \"both\""),
        )),
    }
}

/// Returns the scope to send in the form, or `None` when `scope_in`
/// puts it only in the assertion.
pub fn form_scope(raw: &RawCredential, scope_in: ScopeIn) -> Option<String> {
    match scope_in {
        ScopeIn::Form | ScopeIn::Both => raw.scope.as_ref().map(|s| join_list(s, " ")),
        ScopeIn::Claim => None,
    }
}

/// Returns the `scope` claim that `scope_in` adds to the assertion.
pub fn claim_scope(raw: &RawCredential, scope_in: ScopeIn) -> Option<String> {
    match scope_in {
        ScopeIn::Claim | ScopeIn::Both => raw.scope.as_ref().map(|s| join_list(s, " ")),
        ScopeIn::Form => None,
    }
}

/// Checks `[token_params]`: no field that the grant's own request already
/// contains, named in `reserved`.
pub fn resolve_params(
    name: &str,
    raw: &RawCredential,
    reserved: &[&str],
) -> Result<Vec<(String, String)>, Error> {
    let mut params = Vec::new();
    for (field, value) in raw.token_params.iter().flatten() {
        if reserved.contains(&field.as_str()) {
            return Err(field_error(
                name,
                &format!("token_params.{field}"),
                "would repeat a form field that the grant sets; set the matching credential \
                 field instead"
                    .to_string(),
            ));
        }
        params.push((field.clone(), value.clone()));
    }
    Ok(params)
}

/// Returns the values of a one-or-many field as a list.
fn list(value: Option<&StringOrList>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(StringOrList::One(one)) => vec![one.clone()],
        Some(StringOrList::Many(many)) => many.clone(),
    }
}
