//! Password authentication: SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802 / 7677 / 5929, as
//! PostgreSQL implements them) and the legacy MD5 scheme. Whether a scheme may be used on a
//! given connection is decided in conn.rs, by `dbhive_core::security`'s rules.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use dbhive_core::{DbError, DbResult, ErrorKind};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    let mut out = [0u8; 32];
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(data));
    out
}

/// PBKDF2-HMAC-SHA-256 with one output block, which is SCRAM's Hi(). The keyed HMAC state
/// is built once and cloned for each round.
fn hi(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let keyed =
        <HmacSha256 as KeyInit>::new_from_slice(password).expect("HMAC takes any key length");
    let round = |data: &[u8]| -> [u8; 32] {
        let mut mac = keyed.clone();
        mac.update(data);
        mac.finalize().into_bytes().into()
    };
    let mut first = salt.to_vec();
    first.extend_from_slice(&1u32.to_be_bytes());
    let mut u = round(&first);
    let mut out = u;
    for _ in 1..iterations {
        u = round(&u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    u.zeroize();
    out
}

/// RFC 7677's least iteration count. A server whose identity is not verified may not ask for
/// fewer: an impostor choosing the salt and a low count would get a proof it can test
/// password guesses against almost for free.
pub const MIN_UNVERIFIED_ITERATIONS: u32 = 4096;
/// More than any real server asks for; deriving the key takes seconds past it.
const MAX_ITERATIONS: u32 = 10_000_000;

fn protocol_error(what: &str) -> DbError {
    DbError::new(
        ErrorKind::Auth,
        format!("SCRAM authentication failed: {what}"),
    )
}

/// What the client says about channel binding (RFC 5802's gs2 header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelBinding {
    /// No TLS, or no binding data available: "n".
    Unsupported,
    /// Over TLS, but the server did not offer SCRAM-SHA-256-PLUS: "y", so a server that
    /// does support it knows the offer was stripped on the way.
    NotOffered,
    /// SCRAM-SHA-256-PLUS with RFC 5929's tls-server-end-point data: the hash of the
    /// certificate this client saw, which a relaying man in the middle cannot match.
    TlsServerEndPoint(Vec<u8>),
}

impl ChannelBinding {
    fn gs2_header(&self) -> &'static str {
        match self {
            ChannelBinding::Unsupported => "n,,",
            ChannelBinding::NotOffered => "y,,",
            ChannelBinding::TlsServerEndPoint(_) => "p=tls-server-end-point,,",
        }
    }

    pub fn mechanism(&self) -> &'static str {
        match self {
            ChannelBinding::TlsServerEndPoint(_) => "SCRAM-SHA-256-PLUS",
            _ => "SCRAM-SHA-256",
        }
    }
}

/// The client side of one SCRAM-SHA-256(-PLUS) exchange.
pub struct Scram {
    password: Zeroizing<Vec<u8>>,
    binding: ChannelBinding,
    client_nonce: String,
    client_first_bare: String,
    server_signature: Option<[u8; 32]>,
    verified: bool,
}

impl Scram {
    pub fn new(password: &str, binding: ChannelBinding) -> DbResult<Scram> {
        let mut raw = [0u8; 18];
        getrandom::fill(&mut raw)
            .map_err(|e| DbError::internal(format!("no random source: {e}")))?;
        let client_nonce = B64.encode(raw);
        // As the server does: SASLprep the password when it can, else use it as is.
        let password = Zeroizing::new(match stringprep::saslprep(password) {
            Ok(p) => p.as_bytes().to_vec(),
            Err(_) => password.as_bytes().to_vec(),
        });
        Ok(Scram {
            password,
            binding,
            client_first_bare: format!("n=,r={client_nonce}"),
            client_nonce,
            server_signature: None,
            verified: false,
        })
    }

    pub fn mechanism(&self) -> &'static str {
        self.binding.mechanism()
    }

    /// client-first-message: the gs2 header, user name taken from the startup packet.
    pub fn client_first(&self) -> String {
        format!("{}{}", self.binding.gs2_header(), self.client_first_bare)
    }

    /// The c= attribute: the gs2 header and, with -PLUS, the channel binding data.
    fn channel_attribute(&self) -> String {
        let mut data = self.binding.gs2_header().as_bytes().to_vec();
        if let ChannelBinding::TlsServerEndPoint(cb) = &self.binding {
            data.extend_from_slice(cb);
        }
        B64.encode(data)
    }

    /// Takes server-first-message, returns client-final-message. The key derivation (up to
    /// millions of HMAC rounds, as the server chooses) runs on a blocking thread, so the
    /// connect timeout still applies; `min_iterations` is what this server may ask for at
    /// least.
    pub async fn client_final(
        &mut self,
        server_first: &[u8],
        min_iterations: u32,
    ) -> DbResult<String> {
        if self.server_signature.is_some() {
            return Err(protocol_error("the server restarted the exchange"));
        }
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| protocol_error("server message is not UTF-8"))?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for part in server_first.split(',') {
            if let Some(v) = part.strip_prefix("r=") {
                nonce = Some(v);
            } else if let Some(v) = part.strip_prefix("s=") {
                salt = Some(
                    B64.decode(v)
                        .map_err(|_| protocol_error("salt is not base64"))?,
                );
            } else if let Some(v) = part.strip_prefix("i=") {
                iterations = Some(
                    v.parse::<u32>()
                        .map_err(|_| protocol_error("bad iteration count"))?,
                );
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(protocol_error("incomplete server-first-message"));
        };
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err(protocol_error("the server's nonce does not extend ours"));
        }
        if iterations > MAX_ITERATIONS {
            return Err(protocol_error("unreasonable iteration count"));
        }
        if iterations < min_iterations.max(1) {
            return Err(protocol_error(&format!(
                "the server asks for {iterations} iterations, fewer than the {min_iterations} DB-Hive \
                 accepts from a server whose identity is not verified"
            )));
        }
        let password = self.password.clone();
        let salted = Zeroizing::new(
            tokio::task::spawn_blocking(move || hi(&password, &salt, iterations))
                .await
                .map_err(|e| DbError::internal(format!("key derivation failed: {e}")))?,
        );
        let client_key = Zeroizing::new(hmac(&*salted, b"Client Key"));
        let stored_key = sha256(&*client_key);
        let without_proof = format!("c={},r={nonce}", self.channel_attribute());
        let auth_message = format!(
            "{},{},{}",
            self.client_first_bare, server_first, without_proof
        );
        let client_signature = hmac(&stored_key, auth_message.as_bytes());
        let mut proof = *client_key;
        for (p, s) in proof.iter_mut().zip(client_signature.iter()) {
            *p ^= s;
        }
        let server_key = hmac(&*salted, b"Server Key");
        self.server_signature = Some(hmac(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Checks server-final-message: proves the server knew the password too.
    pub fn verify_final(&mut self, server_final: &[u8]) -> DbResult<()> {
        let text = std::str::from_utf8(server_final)
            .map_err(|_| protocol_error("server message is not UTF-8"))?;
        if let Some(e) = text.strip_prefix("e=") {
            return Err(protocol_error(e));
        }
        let v = text
            .split(',')
            .find_map(|p| p.strip_prefix("v="))
            .ok_or_else(|| protocol_error("no server signature"))?;
        let got = B64
            .decode(v)
            .map_err(|_| protocol_error("server signature is not base64"))?;
        match &self.server_signature {
            Some(expected) if expected.as_slice() == got.as_slice() => {
                self.verified = true;
                Ok(())
            }
            _ => Err(protocol_error(
                "the server's signature does not match: it may not be the server you meant",
            )),
        }
    }

    /// The server proved it knows the password (its signature checked out).
    pub fn is_verified(&self) -> bool {
        self.verified
    }
}

/// The answer to AuthenticationMD5Password: "md5" + md5(md5(password + user) + salt). The
/// inner hash is what the server stores: a password equivalent, zeroed after use.
pub fn md5_password(user: &str, password: &str, salt: &[u8; 4]) -> Zeroizing<String> {
    let joined = Zeroizing::new([password.as_bytes(), user.as_bytes()].concat());
    let inner_hex = Zeroizing::new(hex(&md5::Md5::digest(&*joined)));
    let salted = Zeroizing::new([inner_hex.as_bytes(), salt.as_slice()].concat());
    Zeroizing::new(format!("md5{}", hex(&md5::Md5::digest(&*salted))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rfc7677_vector() {
        // RFC 7677 section 3: user "user", password "pencil".
        let mut scram = Scram::new("pencil", ChannelBinding::Unsupported).expect("scram");
        scram.client_nonce = "rOprNGfwEbeRWgbNEkqO".into();
        scram.client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO".into();
        let fin = scram
            .client_final(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", 4096)
            .await
            .expect("final");
        assert_eq!(
            fin,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        scram
            .verify_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .expect("server signature");
        assert!(scram.is_verified());
        let mut other = Scram::new("pencil", ChannelBinding::Unsupported).expect("scram");
        assert!(other.verify_final(b"v=AAAA").is_err());
        assert!(!other.is_verified(), "a final message before the exchange");
        // An unverified server may not ask for a cheap derivation.
        let mut cheap = Scram::new("pencil", ChannelBinding::Unsupported).expect("scram");
        cheap.client_nonce = "abc".into();
        assert!(
            cheap
                .client_final(b"r=abcdef,s=c2FsdA==,i=1", MIN_UNVERIFIED_ITERATIONS)
                .await
                .is_err()
        );
    }

    #[test]
    fn channel_binding_goes_into_the_proof() {
        let plus =
            Scram::new("pw", ChannelBinding::TlsServerEndPoint(vec![1, 2, 3])).expect("scram");
        assert!(
            plus.client_first()
                .starts_with("p=tls-server-end-point,,n=,r=")
        );
        assert_eq!(plus.mechanism(), "SCRAM-SHA-256-PLUS");
        // base64("p=tls-server-end-point,," + [1, 2, 3])
        assert_eq!(
            plus.channel_attribute(),
            B64.encode([b"p=tls-server-end-point,,".as_slice(), &[1, 2, 3]].concat())
        );
        let y = Scram::new("pw", ChannelBinding::NotOffered).expect("scram");
        assert!(y.client_first().starts_with("y,,"));
        assert_eq!(y.channel_attribute(), "eSws");
        let n = Scram::new("pw", ChannelBinding::Unsupported).expect("scram");
        assert_eq!(n.channel_attribute(), "biws");
    }

    #[test]
    fn md5_known_answer() {
        // Computed independently (Python hashlib) with PostgreSQL's formula.
        assert_eq!(
            md5_password("alice", "secret", &[1, 2, 3, 4]).as_str(),
            "md598a0412b9c31436fc53776e863350083"
        );
    }
}
