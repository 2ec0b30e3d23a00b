//! TLS settings of a credential: extra trusted CA certificates and a client
//! certificate for mutual TLS, loaded from PEM files when the credential is
//! resolved and turned into ureq's TLS configuration per request.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig, TlsProvider};

/// Trust and identity for TLS connections of one credential.
#[derive(Debug, Default, Clone)]
pub struct TlsSettings {
    /// CA certificates trusted in addition to the Mozilla roots.
    pub extra_roots: Vec<Certificate<'static>>,
    /// Certificate chain and key presented to servers that ask for one.
    pub client_cert: Option<ClientCert>,
}

impl TlsSettings {
    /// Builds the ureq TLS configuration: rustls on aws-lc-rs, the Mozilla
    /// roots plus any extra CA, and the client certificate when set.
    pub fn config(&self) -> TlsConfig {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = if self.extra_roots.is_empty() {
            RootCerts::WebPki
        } else {
            // ureq either uses its built-in roots or a given list, so the
            // Mozilla roots are added to the list as whole certificates.
            let mozilla = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned());
            let all: Vec<Certificate<'static>> =
                mozilla.chain(self.extra_roots.iter().cloned()).collect();
            RootCerts::new_with_certs(&all)
        };
        TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .client_cert(self.client_cert.clone())
            .unversioned_rustls_crypto_provider(provider)
            .build()
    }
}

/// Reads a PEM bundle of CA certificates for `ca_file`.
///
/// Fails when the file cannot be read or contains no certificate.
pub fn load_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, String> {
    let (certificates, _) = read_pem(path)?;
    if certificates.is_empty() {
        return Err(format!(
            "{} contains no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certificates)
}

/// Reads the client certificate chain from `cert_path` and its private key
/// from `key_path`, or from `cert_path` too when `key_path` is `None`.
///
/// Fails with a message that names the field when a file is unreadable,
/// holds no certificate or key, or when the key does not belong to the
/// certificate.
pub fn load_client_cert(
    cert_path: &Path,
    key_path: Option<&Path>,
) -> Result<ClientCert, (&'static str, String)> {
    let (chain, key_in_cert_file) = read_pem(cert_path).map_err(|p| ("client_cert", p))?;
    if chain.is_empty() {
        let problem = format!("{} contains no PEM certificate", cert_path.display());
        return Err(("client_cert", problem));
    }
    let key = match key_path {
        Some(path) => read_pem(path).map_err(|p| ("client_key", p))?.1.ok_or_else(|| {
            ("client_key", format!("{} contains no unencrypted PEM private key", path.display()))
        })?,
        None => key_in_cert_file.ok_or_else(|| {
            (
                "client_key",
                format!(
                    "is missing, and {} contains no private key; set client_key to the key file",
                    cert_path.display()
                ),
            )
        })?,
    };
    check_key_matches(&chain, &key).map_err(|p| ("client_key", p))?;
    Ok(ClientCert::new_with_certs(&chain, key))
}

/// Reads every certificate and the first private key from a PEM file.
fn read_pem(
    path: &Path,
) -> Result<(Vec<Certificate<'static>>, Option<PrivateKey<'static>>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if String::from_utf8_lossy(&bytes).contains("ENCRYPTED PRIVATE KEY") {
        return Err(format!(
            "{} contains an encrypted private key; decrypt it with \
             `openssl pkey -in FILE -out FILE.plain` and point to that file",
            path.display()
        ));
    }
    let mut certificates = Vec::new();
    let mut key = None;
    for item in ureq::tls::parse_pem(&bytes) {
        match item.map_err(|e| format!("{} is not valid PEM: {e}", path.display()))? {
            PemItem::Certificate(certificate) => certificates.push(certificate),
            PemItem::PrivateKey(found) if key.is_none() => key = Some(found),
            _ => {}
        }
    }
    Ok((certificates, key))
}

/// Checks that `key` can sign and belongs to the first certificate of
/// `chain`, so that a mismatch is reported before any connection.
fn check_key_matches(
    chain: &[Certificate<'static>],
    key: &PrivateKey<'static>,
) -> Result<(), String> {
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let certificates: Vec<CertificateDer<'static>> =
        chain.iter().map(|c| CertificateDer::from(c.der().to_vec())).collect();
    let key_der = PrivateKeyDer::try_from(key.der().to_vec())
        .map_err(|e| format!("is not a usable private key: {e}"))?;
    // `from_der` loads the key and compares its public half with the
    // certificate's.
    rustls::sign::CertifiedKey::from_der(certificates, key_der, &provider)
        .map(|_| ())
        .map_err(|e| format!("cannot be used with client_cert: {e}"))
}
