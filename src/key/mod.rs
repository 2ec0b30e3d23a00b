//! Loading private keys in the forms people have, and matching them to a
//! JWS algorithm.
//!
//! Every accepted form is normalised to the DER that the signer expects:
//! PKCS#1 for RSA and PKCS#8 for elliptic-curve and Ed25519 keys. A form
//! that cannot be used fails with a message that names the form found and,
//! where one exists, the command that converts it.

mod command;
mod encrypted;
mod foreign;
mod google;
mod jwk;
mod openssh;
mod origin;
mod parsed;
mod public;
pub mod source;

use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey};
use pkcs8::ObjectIdentifier;
use pkcs8::der::Decode;

use crate::error::Error;
use crate::secret::Secret;
pub use origin::Origin;
use parsed::ParsedKey;

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const OID_X25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.110");
const OID_X448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.111");
const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// The command that makes a new key that every supported provider accepts.
const NEW_EC_KEY: &str =
    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem";

/// The smallest RSA modulus, in bits, that the signer accepts.
const MIN_RSA_BITS: usize = 2048;

/// The type of a private key, which decides the algorithms it can sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An RSA key usable with RS* and PS* algorithms.
    Rsa {
        /// Modulus length in bits.
        bits: usize,
    },
    /// An RSA key marked RSASSA-PSS only, usable with PS* algorithms.
    RsaPss {
        /// Modulus length in bits.
        bits: usize,
    },
    /// An ECDSA key on P-256.
    P256,
    /// An ECDSA key on P-384.
    P384,
    /// An Ed25519 key.
    Ed25519,
    /// An HMAC secret.
    Hmac,
}

impl KeyKind {
    /// Returns a short human name such as "RSA 2048-bit" or "P-256".
    pub fn describe(self) -> String {
        match self {
            KeyKind::Rsa { bits } => format!("RSA {bits}-bit"),
            KeyKind::RsaPss { bits } => format!("RSA-PSS {bits}-bit"),
            KeyKind::P256 => "EC P-256".to_string(),
            KeyKind::P384 => "EC P-384".to_string(),
            KeyKind::Ed25519 => "Ed25519".to_string(),
            KeyKind::Hmac => "HMAC secret".to_string(),
        }
    }

    /// Returns the short name with its indefinite article, such as "an RSA
    /// 2048-bit" or "an Ed25519". Every name starts with a letter spoken
    /// with a vowel sound (R, E, H), so the article is always "an".
    pub fn describe_with_article(self) -> String {
        format!("an {}", self.describe())
    }

    /// Returns the algorithms this kind of key can sign with; the first one
    /// is the default when the credential names none.
    pub fn algorithms(self) -> &'static [Algorithm] {
        use Algorithm::*;
        match self {
            KeyKind::Rsa { .. } => &[RS256, RS384, RS512, PS256, PS384, PS512],
            KeyKind::RsaPss { .. } => &[PS256, PS384, PS512],
            KeyKind::P256 => &[ES256],
            KeyKind::P384 => &[ES384],
            KeyKind::Ed25519 => &[EdDSA],
            KeyKind::Hmac => &[HS256, HS384, HS512],
        }
    }
}

/// A private key in normalised DER: PKCS#1 for RSA, PKCS#8 otherwise, or
/// the raw bytes of an HMAC secret.
pub struct PrivateKey {
    /// What kind of key this is.
    pub kind: KeyKind,
    /// The normalised key bytes.
    der: Secret<Vec<u8>>,
    /// The key as aws-lc parsed and checked it, kept for signing.
    parsed: Option<Secret<ParsedKey>>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey").field("kind", &self.kind).field("der", &self.der).finish()
    }
}

impl PrivateKey {
    /// Wraps an HMAC secret.
    pub fn hmac(secret: Vec<u8>) -> Self {
        PrivateKey { kind: KeyKind::Hmac, der: Secret::new(secret), parsed: None }
    }

    /// Returns the normalised key bytes.
    pub fn der(&self) -> &[u8] {
        self.der.expose()
    }

    /// Returns the SHA-256 digest of the normalised key bytes. Two files
    /// that hold the same key in different forms give the same value, so
    /// it identifies the key without revealing it.
    pub fn fingerprint(&self) -> [u8; 32] {
        sha256(self.der())
    }
}

/// A key ready to sign: the key, the algorithm it signs with, and the
/// optional `kid` header value.
pub struct SigningKey {
    /// JWS algorithm of every token this key signs.
    pub algorithm: Algorithm,
    /// The `kid` header parameter, when set.
    pub key_id: Option<String>,
    /// What kind of key this is.
    pub kind: KeyKind,
    /// The key in the form the signer takes.
    encoding: Secret<EncodingKey>,
    /// The normalised key bytes, kept to derive the public key on request.
    der: Secret<Vec<u8>>,
    /// The key as aws-lc parsed it, for RSA and EC keys.
    parsed: Option<Secret<ParsedKey>>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("kind", &self.kind)
            .field("encoding", &self.encoding)
            .field("der", &self.der)
            .finish()
    }
}

impl SigningKey {
    /// Builds a signing key, choosing the algorithm from the key when
    /// `algorithm` is `None` and checking that the two fit otherwise.
    pub fn new(
        key: PrivateKey,
        algorithm: Option<Algorithm>,
        key_id: Option<String>,
    ) -> Result<Self, Error> {
        let allowed = key.kind.algorithms();
        let algorithm = match algorithm {
            None => allowed[0],
            Some(chosen) if allowed.contains(&chosen) => chosen,
            Some(chosen) => {
                return Err(Error::config(format!(
                    "algorithm {chosen:?} does not fit the {} key",
                    key.kind.describe()
                ))
                .with_hint(match allowed {
                    [only] => format!("use {only:?} with this key, or a key made for {chosen:?}"),
                    _ => format!(
                        "use one of {} with this key, or a key made for {chosen:?}",
                        names(allowed)
                    ),
                }));
            }
        };
        let der = key.der();
        let encoding = match key.kind {
            KeyKind::Rsa { .. } | KeyKind::RsaPss { .. } => EncodingKey::from_rsa_der(der),
            KeyKind::P256 | KeyKind::P384 => EncodingKey::from_ec_der(der),
            KeyKind::Ed25519 => EncodingKey::from_ed_der(der),
            KeyKind::Hmac => EncodingKey::from_secret(der)
                .map_err(|e| Error::config(format!("the HMAC secret cannot be used: {e}")))?,
        };
        Ok(SigningKey {
            algorithm,
            key_id,
            kind: key.kind,
            encoding: Secret::new(encoding),
            der: key.der,
            parsed: key.parsed,
        })
    }

    /// Signs `message` with the key's algorithm and returns the signature
    /// in base64url without padding.
    ///
    /// RSA and EC keys sign with the key pair parsed at load, which saves a
    /// second parse and key check; other keys sign through jsonwebtoken.
    pub fn sign(&self, message: &[u8]) -> Result<String, String> {
        let parsed =
            self.parsed.as_ref().and_then(|key| key.expose().sign(self.algorithm, message));
        parsed.unwrap_or_else(|| {
            jsonwebtoken::crypto::sign(message, self.encoding(), self.algorithm)
                .map_err(|e| e.to_string())
        })
    }

    /// Returns the key in the form the signer takes.
    pub fn encoding(&self) -> &EncodingKey {
        self.encoding.expose()
    }

    /// Returns the length in bytes of the normalised key, which for an
    /// HMAC secret is the length of the secret.
    pub fn secret_len(&self) -> usize {
        self.der.expose().len()
    }

    /// Returns the SHA-256 digest of the normalised key that this key was
    /// built from, the same as [`PrivateKey::fingerprint`].
    pub fn fingerprint(&self) -> [u8; 32] {
        sha256(self.der.expose())
    }
}

/// Returns the SHA-256 digest of `bytes`.
fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut output = [0u8; 32];
    output.copy_from_slice(digest.as_ref());
    output
}

/// Joins algorithm names for a message, such as "RS256, PS256".
fn names(algorithms: &[Algorithm]) -> String {
    let names: Vec<String> = algorithms.iter().map(|a| format!("{a:?}")).collect();
    names.join(", ")
}

/// Parses a JWS algorithm name such as `"ES256"`, ignoring case.
pub fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    use Algorithm::*;
    let all = [RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA, HS256, HS384, HS512];
    all.into_iter()
        .find(|a| format!("{a:?}").eq_ignore_ascii_case(name))
        .ok_or_else(|| format!("unknown algorithm \"{name}\"; supported: {}", names(&all)))
}

/// Reads and parses a private key file.
pub fn load_file(path: &Path) -> Result<PrivateKey, Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::config(format!("cannot read key file {}: {e}", path.display())))?;
    parse(&bytes, &Origin::file(&path.display().to_string()))
}

/// Parses a private key from PEM or DER bytes. `origin` names where the
/// bytes came from, for messages, and stands for the file in commands.
pub fn parse(bytes: &[u8], origin: &Origin) -> Result<PrivateKey, Error> {
    if let Some(text) = foreign::utf16_text(bytes) {
        return parse(text.as_bytes(), origin);
    }
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::config(format!("key {origin} is empty")));
    }
    if trimmed.contains("-----BEGIN ") {
        return parse_pem(&normalise_pem(trimmed), origin);
    }
    if trimmed.starts_with("PuTTY-User-Key-File-") {
        return Err(unusable(
            origin,
            "a PuTTY private key (.ppk)",
            format!(
                "convert it: {}",
                origin.run(|file| format!("puttygen {file} -O private-openssh -o key.pem"))
            ),
        ));
    }
    if trimmed.starts_with('{') {
        return Err(unusable(
            origin,
            "a JSON document (a JWK or a cloud key file), not a PEM or DER key",
            "export the private key as PEM; for a JWK, a JWK-to-PEM converter such as \
             `step crypto key format --pem` does it",
        ));
    }
    if let Some(error) = foreign::identify(bytes, trimmed, origin) {
        return Err(error);
    }
    parse_der(bytes, None, origin).map_err(|_| {
        Error::config(format!("key {origin} is neither a PEM nor a DER private key")).with_hint(
            format!(
                "an HMAC secret belongs in {}; for a key, check what openssl reads in it: {}",
                origin.secret_setting(),
                origin.run(|file| format!("openssl pkey -in {file} -noout"))
            ),
        )
    })
}

/// Puts PEM text into the shape the parser accepts: LF line endings (from
/// CRLF, lone CR, or the literal `\n` escapes of a JSON string) and no
/// trailing whitespace on any line. Base64 has no backslash, so the escapes
/// cannot be part of a key.
fn normalise_pem(text: &str) -> String {
    let unescaped = text.replace("\\r\\n", "\n").replace("\\n", "\n");
    let unified = unescaped.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = unified.lines().map(str::trim).collect();
    lines.join("\n") + "\n"
}

/// Parses PEM text that may contain several blocks, such as the
/// `EC PARAMETERS` block that `openssl ecparam -genkey` writes first.
fn parse_pem(text: &str, origin: &Origin) -> Result<PrivateKey, Error> {
    if let Some(label) = unterminated_label(text) {
        return Err(Error::config(format!(
            "key {origin} is a truncated PEM: its -----BEGIN {label}----- line has no \
             matching END line"
        ))
        .with_hint(format!(
            "copy the whole key again, from -----BEGIN {label}----- through \
             -----END {label}-----"
        )));
    }
    let blocks = pem::parse_many(text).map_err(|e| {
        Error::config(format!("key {origin} is a damaged PEM: a block does not decode ({e})"))
            .with_hint("check that the BEGIN and END lines match and the base64 is complete")
    })?;
    let curve = blocks
        .iter()
        .find(|b| b.tag() == "EC PARAMETERS")
        .and_then(|b| ObjectIdentifier::from_der(b.contents()).ok());

    // A bundle may hold certificates next to the key; the key is the block
    // to read. Two keys in one file leave it unclear which one signs.
    let key_blocks = blocks.iter().filter(|b| b.tag().ends_with("PRIVATE KEY")).count();
    if key_blocks > 1 {
        return Err(Error::config(format!(
            "key {origin} contains {key_blocks} private keys; namedcred signs with one"
        ))
        .with_hint("keep the one private key that the credential signs with in the file"));
    }
    let key_block = blocks.iter().find(|b| b.tag().ends_with("PRIVATE KEY"));
    let Some(block) = key_block.or_else(|| blocks.iter().find(|b| b.tag() != "EC PARAMETERS"))
    else {
        return Err(Error::config(format!(
            "key {origin} contains only EC parameters and no private key"
        ))
        .with_hint(format!("generate a key with: {NEW_EC_KEY}")));
    };
    if block.headers().get("Proc-Type").is_some_and(|v| v.contains("ENCRYPTED")) {
        return Err(unusable(
            origin,
            "an encrypted traditional PEM key",
            format!(
                "convert it to encrypted PKCS#8, which loads with key_passphrase_env: {} \
                 (openssl asks for the old and the new passphrase)",
                origin.run(|file| format!(
                    "openssl pkcs8 -topk8 -v2 aes-256-cbc -in {file} -out key.pem"
                ))
            ),
        ));
    }
    let der = block.contents();
    let structure = match block.tag() {
        "PRIVATE KEY" => "PKCS#8",
        "RSA PRIVATE KEY" => "PKCS#1",
        "EC PRIVATE KEY" => "SEC1",
        "OPENSSH PRIVATE KEY" => return openssh::parse(der, origin),
        tag => return Err(unusable_tag(tag, origin)),
    };
    if let Some(error) = der_defect(der) {
        return Err(damaged_block(block.tag(), structure, &error, origin));
    }
    // Hand-edited files and some tools put a body of one structure under
    // the header of another; the body decides how the key is read.
    let body = body_structure(der).unwrap_or(structure);
    if body != structure {
        log::debug!(
            "key {origin} has a {} header over a {body} body; reading it as {body}",
            block.tag()
        );
    }
    match body {
        "PKCS#8" => parse_pkcs8(der, origin),
        "PKCS#1" => rsa_from_pkcs1(der.to_vec(), false, origin),
        _ => ec_from_sec1(der, curve, origin),
    }
}

/// Tells which private key structure a DER body has from its first two
/// elements: PKCS#8 is a version and then an AlgorithmIdentifier
/// SEQUENCE, PKCS#1 a version 0 and then the modulus INTEGER, and SEC1 a
/// version 1 and then the private key OCTET STRING.
fn body_structure(der: &[u8]) -> Option<&'static str> {
    use pkcs8::der::asn1::AnyRef;
    use pkcs8::der::{SliceReader, Tag, Tagged};
    let outer = AnyRef::from_der(der).ok()?;
    let mut reader = SliceReader::new(outer.value()).ok()?;
    let version = AnyRef::decode(&mut reader).ok()?;
    let second = AnyRef::decode(&mut reader).ok()?;
    match (version.value(), second.tag()) {
        (_, Tag::Sequence) => Some("PKCS#8"),
        ([0], Tag::Integer) => Some("PKCS#1"),
        ([1], Tag::OctetString) => Some("SEC1"),
        _ => None,
    }
}

/// Returns the label of the first `-----BEGIN` line that no matching
/// `-----END` line follows, as a PEM cut short by a copy or a `head -c`
/// leaves it.
fn unterminated_label(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after_begin = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after_begin.find("-----") else {
            return Some(after_begin.lines().next().unwrap_or("").trim_end_matches('-'));
        };
        let label = &after_begin[..label_end];
        let end_line = format!("-----END {label}-----");
        let Some(end) = after_begin.find(&end_line) else {
            return Some(label);
        };
        rest = &after_begin[end + end_line.len()..];
    }
    None
}

/// Returns the DER error of a block body that is not one whole, well-formed
/// DER element: cut short, with bytes after it, or with a broken header.
fn der_defect(der: &[u8]) -> Option<pkcs8::der::Error> {
    pkcs8::der::asn1::AnyRef::from_der(der).err()
}

/// Builds the error for a key block whose base64 decodes, but not to one
/// whole DER structure, which is what a lost or edited line leaves.
fn damaged_block(tag: &str, structure: &str, error: &pkcs8::der::Error, origin: &Origin) -> Error {
    Error::config(format!(
        "key {origin} is a damaged PEM: its {tag} block is not a complete {structure} \
         structure ({error})"
    ))
    .with_hint(format!(
        "copy the whole key again; {} checks a key file",
        origin.run(|file| format!("openssl pkey -in {file} -noout"))
    ))
}

/// Explains why a PEM block with the given tag cannot be used.
fn unusable_tag(tag: &str, origin: &Origin) -> Error {
    match tag {
        "ENCRYPTED PRIVATE KEY" => unusable(
            origin,
            "an encrypted PKCS#8 key",
            format!(
                "decrypt it: {}",
                origin.run(|file| format!("openssl pkey -in {file} -out key.pem"))
            ),
        ),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "EC PUBLIC KEY" => {
            foreign::public_key(origin, "a public key")
        }
        "CERTIFICATE" | "TRUSTED CERTIFICATE" => unusable(
            origin,
            "a certificate; signing needs the private key",
            format!(
                "point the credential at the private key that the certificate was issued for; \
                 {} prints its public key to compare",
                origin.run(|file| format!("openssl x509 -in {file} -noout -pubkey"))
            ),
        ),
        "DSA PRIVATE KEY" => unusable(
            origin,
            "a DSA key, which JWS does not support",
            format!("generate a supported key: {NEW_EC_KEY}"),
        ),
        other => foreign::pem_tag(other, origin).unwrap_or_else(|| {
            unusable(
                origin,
                &format!("a PEM block of type \"{other}\", which is not a private key"),
                format!(
                    "expected a block that starts with -----BEGIN PRIVATE KEY-----; {} writes \
                     any key openssl reads",
                    origin.run(|file| format!("openssl pkey -in {file} -out key.pem"))
                ),
            )
        }),
    }
}

/// Parses DER bytes as PKCS#8, then PKCS#1, then SEC1.
fn parse_der(
    der: &[u8],
    curve: Option<ObjectIdentifier>,
    origin: &Origin,
) -> Result<PrivateKey, Error> {
    if pkcs8::PrivateKeyInfo::try_from(der).is_ok() {
        return parse_pkcs8(der, origin);
    }
    if aws_lc_rs::rsa::KeyPair::from_der(der).is_ok() {
        return rsa_from_pkcs1(der.to_vec(), false, origin);
    }
    if sec1::EcPrivateKey::try_from(der).is_ok() {
        return ec_from_sec1(der, curve, origin);
    }
    Err(Error::config(format!("key {origin} is not a DER private key")))
}

/// Parses a PKCS#8 `PrivateKeyInfo` and dispatches on its algorithm.
fn parse_pkcs8(der: &[u8], origin: &Origin) -> Result<PrivateKey, Error> {
    let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| {
        Error::config(format!("key {origin} is not a valid PKCS#8 private key: {e}"))
    })?;
    let oid = info.algorithm.oid;
    if oid == OID_RSA || oid == OID_RSA_PSS {
        return rsa_from_pkcs1(info.private_key.to_vec(), oid == OID_RSA_PSS, origin);
    }
    if oid == OID_EC {
        let parameters = info.algorithm.parameters.map(|p| pkcs8::der::Tagged::tag(&p));
        if parameters == Some(pkcs8::der::Tag::Sequence) {
            return Err(explicit_curve(origin));
        }
        let curve = info.algorithm.parameters_oid().ok();
        return ec_normalise(der, curve, origin);
    }
    if oid == OID_ED25519 {
        return ed25519_from_pkcs8(der, origin);
    }
    let form = match oid {
        o if o == OID_ED448 => "an Ed448 key, which namedcred does not support",
        o if o == OID_X25519 => "an X25519 key-agreement key, which cannot sign",
        o if o == OID_X448 => "an X448 key-agreement key, which cannot sign",
        o if o == OID_DSA => "a DSA key, which JWS does not support",
        _ => "a private key of an unknown algorithm",
    };
    Err(unusable(origin, form, format!("generate a supported key: {NEW_EC_KEY}")))
}

/// Checks a PKCS#1 RSA key and records its size.
fn rsa_from_pkcs1(pkcs1: Vec<u8>, pss_only: bool, origin: &Origin) -> Result<PrivateKey, Error> {
    let pair = aws_lc_rs::rsa::KeyPair::from_der(&pkcs1).map_err(|e| {
        let reason = e.to_string();
        if reason.contains("TooSmall") || reason.contains("Small") {
            Error::config(format!(
                "RSA key {origin} is too small; at least {MIN_RSA_BITS} bits are required"
            ))
            .with_hint(
                "generate a new key: openssl genpkey -algorithm RSA \
                 -pkeyopt rsa_keygen_bits:2048 -out key.pem",
            )
        } else if pkcs1_version(&pkcs1) == Some(1) {
            unusable(
                origin,
                "a multi-prime RSA key (more than two primes), which aws-lc does not sign with",
                "generate a two-prime key: openssl genpkey -algorithm RSA \
                 -pkeyopt rsa_keygen_bits:2048 -out key.pem",
            )
        } else {
            Error::config(format!("RSA key {origin} is invalid; aws-lc rejected it ({reason})"))
                .with_hint(format!(
                    "check it with openssl, which names the defect: {}",
                    origin.run(|file| format!("openssl pkey -in {file} -noout -check"))
                ))
        }
    })?;
    let bits = pair.public_modulus_len() * 8;
    if bits < MIN_RSA_BITS {
        return Err(Error::config(format!(
            "RSA key {origin} has {bits} bits; at least {MIN_RSA_BITS} are required"
        )));
    }
    let kind = if pss_only { KeyKind::RsaPss { bits } } else { KeyKind::Rsa { bits } };
    Ok(PrivateKey {
        kind,
        der: Secret::new(pkcs1),
        parsed: Some(Secret::new(ParsedKey::Rsa(pair))),
    })
}

/// Returns the version of a PKCS#1 `RSAPrivateKey`: 0 for two primes, 1
/// when `otherPrimeInfos` follow.
fn pkcs1_version(der: &[u8]) -> Option<u8> {
    use pkcs8::der::asn1::AnyRef;
    let outer = AnyRef::from_der(der).ok()?;
    let mut reader = pkcs8::der::SliceReader::new(outer.value()).ok()?;
    match AnyRef::decode(&mut reader).ok()?.value() {
        [version] => Some(*version),
        _ => None,
    }
}

/// Converts a SEC1 `EC PRIVATE KEY` to PKCS#8. The curve comes from the
/// key's own parameters, else from an `EC PARAMETERS` block, else from the
/// length of the private scalar.
fn ec_from_sec1(
    der: &[u8],
    curve: Option<ObjectIdentifier>,
    origin: &Origin,
) -> Result<PrivateKey, Error> {
    let parsed = sec1::EcPrivateKey::try_from(der).map_err(|e| {
        if has_explicit_sec1_parameters(der) {
            return explicit_curve(origin);
        }
        Error::config(format!("key {origin} is not a valid SEC1 EC private key: {e}"))
    })?;
    let curve = parsed.parameters.and_then(|p| p.named_curve()).or(curve).or(
        match parsed.private_key.len() {
            32 => Some(OID_P256),
            48 => Some(OID_P384),
            _ => None,
        },
    );
    ec_normalise(der, curve, origin)
}

/// Tells whether a SEC1 key spells out its curve's parameters, as
/// `openssl ecparam -param_enc explicit` writes them: the element after
/// the private key is `[0]` holding a SEQUENCE instead of a curve OID.
fn has_explicit_sec1_parameters(der: &[u8]) -> bool {
    use pkcs8::der::asn1::AnyRef;
    use pkcs8::der::{SliceReader, Tag, TagNumber, Tagged};
    let third = || {
        let outer = AnyRef::from_der(der).ok()?;
        let mut reader = SliceReader::new(outer.value()).ok()?;
        AnyRef::decode(&mut reader).ok()?;
        AnyRef::decode(&mut reader).ok()?;
        AnyRef::decode(&mut reader).ok()
    };
    third().is_some_and(|element| {
        matches!(element.tag(), Tag::ContextSpecific { number: TagNumber::N0, .. })
            && element.value().first() == Some(&0x30)
    })
}

/// Builds the error for an EC key with explicit curve parameters, which
/// aws-lc does not read; openssl rewrites them as the named curve.
fn explicit_curve(origin: &Origin) -> Error {
    unusable(
        origin,
        "an EC key with explicit curve parameters instead of a named curve",
        format!(
            "write it with the curve's name: {}",
            origin.run(|file| format!(
                "openssl pkey -in {file} -ec_param_enc named_curve -out key.pem"
            ))
        ),
    )
}

/// Checks an EC key (PKCS#8 or SEC1) on a supported curve and returns it
/// as PKCS#8.
fn ec_normalise(
    der: &[u8],
    curve: Option<ObjectIdentifier>,
    origin: &Origin,
) -> Result<PrivateKey, Error> {
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
    };
    let (kind, algorithm) = match curve {
        Some(c) if c == OID_P256 => (KeyKind::P256, &ECDSA_P256_SHA256_FIXED_SIGNING),
        Some(c) if c == OID_P384 => (KeyKind::P384, &ECDSA_P384_SHA384_FIXED_SIGNING),
        Some(c) => return Err(unsupported_curve(c, origin)),
        None => {
            return Err(Error::config(format!("EC key {origin} does not name its curve"))
                .with_hint(format!(
                    "write it as PKCS#8, which names the curve: {}",
                    origin.run(|file| format!(
                        "openssl pkcs8 -topk8 -nocrypt -in {file} -out key.pem"
                    ))
                )));
        }
    };
    let pair = EcdsaKeyPair::from_private_key_der(algorithm, der)
        .map_err(|e| Error::config(format!("{} key {origin} is invalid ({e})", kind.describe())))?;
    let pkcs8 = pair.to_pkcs8v1().map_err(|_| {
        Error::config(format!("{} key {origin} cannot be encoded as PKCS#8", kind.describe()))
    })?;
    let der = Secret::new(pkcs8.as_ref().to_vec());
    Ok(PrivateKey { kind, der, parsed: Some(Secret::new(ParsedKey::Ecdsa(pair))) })
}

/// Explains that an EC curve has no JWS algorithm that namedcred signs.
fn unsupported_curve(curve: ObjectIdentifier, origin: &Origin) -> Error {
    let name = match curve {
        c if c == OID_P521 => "P-521 (ES512)",
        c if c == OID_SECP256K1 => "secp256k1 (ES256K)",
        _ => "an unknown curve",
    };
    unusable(
        origin,
        &format!("an EC key on {name}; namedcred signs with P-256 (ES256) and P-384 (ES384)"),
        format!("generate a supported key: {NEW_EC_KEY}"),
    )
}

/// Checks an Ed25519 PKCS#8 key (version 1 or 2).
fn ed25519_from_pkcs8(der: &[u8], origin: &Origin) -> Result<PrivateKey, Error> {
    aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(der)
        .map_err(|e| Error::config(format!("Ed25519 key {origin} is invalid ({e})")))?;
    Ok(PrivateKey { kind: KeyKind::Ed25519, der: Secret::new(der.to_vec()), parsed: None })
}

/// Builds the error for a key form that cannot be used as it is.
fn unusable(origin: &Origin, form: &str, hint: impl Into<String>) -> Error {
    Error::config(format!("key {origin} is {form}")).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_ignore_case() {
        assert_eq!(parse_algorithm("es256"), Ok(Algorithm::ES256));
        assert_eq!(parse_algorithm("EdDSA"), Ok(Algorithm::EdDSA));
        assert_eq!(parse_algorithm("eddsa"), Ok(Algorithm::EdDSA));
    }

    #[test]
    fn unknown_algorithm_lists_supported() {
        let error = parse_algorithm("ES512").unwrap_err();
        assert!(error.contains("ES512"), "{error}");
        assert!(error.contains("RS256"), "{error}");
    }

    #[test]
    fn pem_normalisation_handles_line_endings() {
        let crlf = "-----BEGIN X-----\r\nAAAA  \r\n-----END X-----\r\n";
        let cr = "-----BEGIN X-----\rAAAA\r-----END X-----\r";
        let expected = "-----BEGIN X-----\nAAAA\n-----END X-----\n";
        assert_eq!(normalise_pem(crlf), expected);
        assert_eq!(normalise_pem(cr), expected);
    }

    #[test]
    fn empty_key_rejected() {
        let error = parse(b"  \n", &Origin::file("test")).unwrap_err();
        assert!(error.message.contains("empty"), "{}", error.message);
    }

    #[test]
    fn kinds_take_the_article_an() {
        assert_eq!(KeyKind::Rsa { bits: 2048 }.describe_with_article(), "an RSA 2048-bit");
        assert_eq!(KeyKind::P256.describe_with_article(), "an EC P-256");
        assert_eq!(KeyKind::Ed25519.describe_with_article(), "an Ed25519");
        assert_eq!(KeyKind::Hmac.describe_with_article(), "an HMAC secret");
    }

    #[test]
    fn hmac_key_defaults_to_hs256() {
        let key = SigningKey::new(PrivateKey::hmac(b"secret".to_vec()), None, None).unwrap();
        assert_eq!(key.algorithm, Algorithm::HS256);
    }

    #[test]
    fn mismatched_algorithm_names_both() {
        let error = SigningKey::new(PrivateKey::hmac(b"s".to_vec()), Some(Algorithm::ES256), None)
            .unwrap_err();
        assert!(error.message.contains("ES256"), "{}", error.message);
        assert!(error.message.contains("HMAC"), "{}", error.message);
    }

    #[test]
    fn debug_output_hides_key_bytes() {
        let key = PrivateKey::hmac(b"canary-secret".to_vec());
        let shown = format!("{key:?}");
        assert!(!shown.contains("canary"), "{shown}");
    }

    #[test]
    fn fingerprint_same_for_every_form_of_one_key() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let of = |name: &str| load_file(&fixtures.join(name)).unwrap().fingerprint();
        assert_eq!(of("ec-p256-pkcs8.pem"), of("ec-p256-sec1.pem"));
        assert_eq!(of("rsa2048-pkcs8.pem"), of("rsa2048-pkcs1.der"));
        assert_ne!(of("ec-p256-pkcs8.pem"), of("ec-p256-sec1-params.pem"));
    }

    #[test]
    fn signing_key_keeps_fingerprint() {
        let private = PrivateKey::hmac(b"secret".to_vec());
        let expected = private.fingerprint();
        let key = SigningKey::new(private, None, None).unwrap();
        assert_eq!(key.fingerprint(), expected);
        assert_ne!(expected, PrivateKey::hmac(b"other".to_vec()).fingerprint());
    }
}
