//! The HTTP client of one command run: the time limit, the credential's TLS
//! settings, the proxy environment and the retry policy, with one ureq
//! agent per proxy decision.
//!
//! The proxy is chosen per request in [`crate::proxy`], because ureq reads
//! the proxy variables differently from curl. So each agent is built with an
//! explicit proxy or none.

use std::cell::RefCell;
use std::time::Duration;

use ureq::Agent;
use url::Url;

use crate::error::Error;
use crate::http;
use crate::proxy::{ProxyChoice, ProxyEnv};
use crate::retry::RetryPolicy;
use crate::tls::TlsSettings;

/// Builds agents for requests and remembers them for reuse.
pub struct HttpClient {
    /// Overall time limit of one request.
    timeout: Duration,
    /// CA certificates and client certificate.
    tls: TlsSettings,
    /// Proxy variables read at start.
    proxies: ProxyEnv,
    /// The retry policy for failed requests.
    pub retry: RetryPolicy,
    /// Agents built so far, by proxy URL (`None` for direct connections).
    agents: RefCell<Vec<(Option<String>, Agent)>>,
}

impl HttpClient {
    /// Creates a client that reads the proxy variables of this process.
    pub fn new(timeout: Duration, tls: TlsSettings, retry: RetryPolicy) -> Self {
        HttpClient {
            timeout,
            tls,
            proxies: ProxyEnv::from_env(),
            retry,
            agents: RefCell::new(Vec::new()),
        }
    }

    /// Returns the agent for a request to `url`, connecting through the
    /// proxy that the environment names for it, if any.
    ///
    /// Fails with a configuration error when that proxy variable is
    /// unusable.
    pub fn agent_for(&self, url: &Url) -> Result<Agent, Error> {
        let choice = self.proxies.choose(url)?;
        let key = choice.as_ref().map(|c| c.url.to_string());
        if let Some((_, agent)) = self.agents.borrow().iter().find(|(k, _)| *k == key) {
            return Ok(agent.clone());
        }
        match &choice {
            Some(proxy) => log::debug!(
                "connecting to {} through proxy {} from {}",
                http::origin_and_path(url),
                proxy.shown(),
                proxy.variable
            ),
            None => log::debug!("connecting to {} directly", http::origin_and_path(url)),
        }
        let agent = http::agent_with(self.timeout, self.tls.config(), to_ureq(choice.as_ref())?);
        self.agents.borrow_mut().push((key, agent.clone()));
        Ok(agent)
    }

    /// Classifies a transport failure of a request to `url` like
    /// [`http::transport_error`], naming the proxy that the request went
    /// through when the failure was reaching it.
    pub fn transport_error(&self, error: ureq::Error, url: &Url) -> Error {
        let proxy = self.proxies.choose(url).ok().flatten();
        http::transport_error(error, url, proxy.as_ref())
    }

    /// Classifies a failure while reading a response body from `url` like
    /// [`http::body_error`], naming the proxy as [`Self::transport_error`] does.
    pub fn body_error(&self, error: ureq::Error, url: &Url) -> Error {
        let proxy = self.proxies.choose(url).ok().flatten();
        http::body_error(error, url, proxy.as_ref())
    }
}

/// Converts the chosen proxy to ureq's form.
fn to_ureq(choice: Option<&ProxyChoice>) -> Result<Option<ureq::Proxy>, Error> {
    let Some(choice) = choice else { return Ok(None) };
    ureq::Proxy::new(choice.url.as_str()).map(Some).map_err(|e| {
        Error::config(format!(
            "{} is not a usable proxy URL ({e}): {}",
            choice.variable,
            choice.shown()
        ))
    })
}
