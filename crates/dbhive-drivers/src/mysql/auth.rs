//! MySQL / MariaDB password scrambles, and the RSA-sealed password of caching_sha2_password's
//! full authentication.

use dbhive_core::{DbError, DbResult, ErrorKind};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))).
pub fn native_password(password: &str, scramble: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    // SHA1(pw) logs in as well as the password (its hash is what the server stores).
    let stage1 = Zeroizing::new(<[u8; 20]>::from(Sha1::digest(password.as_bytes())));
    let stage2 = Sha1::digest(*stage1);
    let mut h = Sha1::new();
    h.update(scramble.get(..20).unwrap_or(scramble));
    h.update(stage2);
    let key = h.finalize();
    stage1.iter().zip(key.iter()).map(|(a, b)| a ^ b).collect()
}

/// caching_sha2_password's fast path: SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + scramble).
pub fn caching_sha2(password: &str, scramble: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let p1 = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(password.as_bytes())));
    let p2 = Sha256::digest(*p1);
    let mut h = Sha256::new();
    h.update(p2);
    h.update(scramble.get(..20).unwrap_or(scramble));
    let p3 = h.finalize();
    p1.iter().zip(p3.iter()).map(|(a, b)| a ^ b).collect()
}

/// The password (with its NUL) XORed with the scramble and encrypted to the server's RSA
/// public key with OAEP/SHA-1, as libmysqlclient does: only the holder of the private key
/// can read it, and the scramble ties it to this login.
pub fn rsa_sealed_password(pem: &[u8], password: &str, scramble: &[u8]) -> DbResult<Vec<u8>> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    let bad_key = |what: &str| {
        DbError::new(
            ErrorKind::Auth,
            format!("the server's RSA public key is unusable: {what}"),
        )
    };
    let text = std::str::from_utf8(pem).map_err(|_| bad_key("not PEM text"))?;
    let text = text.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let key = rsa::PublicKey::from_public_key_pem(text)
        .or_else(|_| rsa::PublicKey::from_pkcs1_pem(text))
        .map_err(|e| bad_key(&e.to_string()))?;
    let scramble = scramble.get(..20).unwrap_or(scramble);
    if scramble.is_empty() {
        return Err(bad_key("no scramble to bind it to"));
    }
    let mut data = Zeroizing::new(password.as_bytes().to_vec());
    data.push(0);
    for (i, b) in data.iter_mut().enumerate() {
        *b ^= scramble[i % scramble.len()];
    }
    key.oaep_encrypt::<Sha1>(&data)
        .map_err(|e| bad_key(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_sealed_password_opens_with_the_private_key() {
        // A throwaway key for tests (generating one in a debug build takes seconds).
        use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
        let private =
            rsa::PrivateKey::from_pkcs8_pem(include_str!("../../tests/fixtures/rsa_test_key.pem"))
                .expect("test key");
        let pem = private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("pem");
        let scramble: Vec<u8> = (1..=20).collect();
        let sealed = rsa_sealed_password(pem.as_bytes(), "s3cret", &scramble).expect("seal");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        let mut opened = private.oaep_decrypt::<Sha1>(&sealed).expect("open");
        for (i, b) in opened.iter_mut().enumerate() {
            *b ^= scramble[i % 20];
        }
        assert_eq!(opened, b"s3cret\0");
        assert!(rsa_sealed_password(b"not a key", "x", &scramble).is_err());
    }

    #[test]
    fn native_password_known_answer() {
        // Computed independently (Python hashlib) with the documented formula.
        let scramble: Vec<u8> = (1..=20).collect();
        let got: String = native_password("secret", &scramble)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, "b32bb3a583e1340c0a1108d58b1be49781ad8c2f");
        assert!(native_password("", &scramble).is_empty());
        let got: String = caching_sha2("secret", &scramble)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            got,
            "746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9"
        );
    }
}
