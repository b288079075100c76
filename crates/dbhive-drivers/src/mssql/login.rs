//! LOGIN7: who the client is and, for a SQL login, the password. TDS only scrambles the
//! password (each byte's nibbles swapped and XORed with 0xA5), so it is as good as clear
//! text to anyone who reads the packet: it goes only inside TLS that was verified, unless
//! the user allowed otherwise for the connection (see `conn.rs`).

use zeroize::Zeroizing;

use super::packet::DEFAULT_PACKET_SIZE;
use super::wire::utf16_bytes;

/// TDS 7.4 (SQL Server 2012 and later; Babelfish speaks it too).
pub const TDS_VERSION: u32 = 0x7400_0004;

pub struct Login<'a> {
    pub host_name: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    pub app_name: &'a str,
    /// The server name as the user typed it (the server may route by it).
    pub server_name: &'a str,
    pub database: Option<&'a str>,
    pub read_only_intent: bool,
}

fn scramble(password: &str) -> Zeroizing<Vec<u8>> {
    let mut bytes = Zeroizing::new(utf16_bytes(password));
    for b in bytes.iter_mut() {
        *b = b.rotate_left(4) ^ 0xA5;
    }
    bytes
}

/// The LOGIN7 payload. Its buffer holds the scrambled password: dropped zeroed.
pub fn payload(login: &Login<'_>) -> Zeroizing<Vec<u8>> {
    const FIXED: usize = 94;
    let password = scramble(login.password);
    let fields: [Vec<u8>; 9] = [
        utf16_bytes(login.host_name),
        utf16_bytes(login.user),
        Vec::new(), // the password, written from its own zeroized buffer
        utf16_bytes(login.app_name),
        utf16_bytes(login.server_name),
        Vec::new(), // extension
        utf16_bytes("DB-Hive"),
        Vec::new(), // language: the login's default
        utf16_bytes(login.database.unwrap_or("")),
    ];
    let mut out = Zeroizing::new(Vec::with_capacity(FIXED + 256));
    out.extend_from_slice(&[0; 4]); // total length, set below
    out.extend_from_slice(&TDS_VERSION.to_le_bytes());
    out.extend_from_slice(&(DEFAULT_PACKET_SIZE as u32).to_le_bytes());
    out.extend_from_slice(&0x0700_0000u32.to_le_bytes()); // client program version
    out.extend_from_slice(&std::process::id().to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // connection id
    // OptionFlags1: USE DB and initial-database failures are fatal, SET LANGUAGE warns.
    out.push(0xE0);
    // OptionFlags2: language change fatal, ODBC (ANSI_NULLS, QUOTED_IDENTIFIER... ON, as
    // SSMS and every current driver have them).
    out.push(0x03);
    // TypeFlags: T-SQL; read-only application intent when asked.
    out.push(if login.read_only_intent { 0x20 } else { 0x00 });
    out.push(0x00); // OptionFlags3
    out.extend_from_slice(&0i32.to_le_bytes()); // client time zone
    out.extend_from_slice(&0x0409u32.to_le_bytes()); // client LCID
    let mut offset = FIXED;
    let mut data: Vec<u8> = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let bytes: &[u8] = if i == 2 { &password } else { f };
        out.extend_from_slice(&(offset as u16).to_le_bytes());
        out.extend_from_slice(&((bytes.len() / 2) as u16).to_le_bytes());
        offset += bytes.len();
        if i != 2 {
            data.extend_from_slice(bytes);
        } else {
            // Kept apart so the clear buffer below never holds it.
            data.extend(std::iter::repeat_n(0, bytes.len()));
        }
    }
    out.extend_from_slice(&[0; 6]); // client MAC address
    for _ in 0..3 {
        // SSPI, attach-DB file, change-password: none.
        out.extend_from_slice(&(offset as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // long SSPI
    debug_assert_eq!(out.len(), FIXED);
    let password_at = FIXED + fields[0].len() + fields[1].len();
    out.extend_from_slice(&data);
    out[password_at..password_at + password.len()].copy_from_slice(&password);
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_scrambled_as_the_spec_says() {
        // MS-TDS 4.2's example: "JaxView" scrambles to these bytes.
        let s = scramble("JaxView");
        assert_eq!(
            &s[..],
            &[
                0x01, 0xA5, 0xB3, 0xA5, 0x22, 0xA5, 0xC0, 0xA5, 0x33, 0xA5, 0xF3, 0xA5, 0xD2, 0xA5
            ]
        );
    }

    #[test]
    fn fields_sit_where_their_offsets_say() {
        let login = Login {
            host_name: "ws1",
            user: "sa",
            password: "pw",
            app_name: "DB-Hive",
            server_name: "db",
            database: Some("master"),
            read_only_intent: false,
        };
        let p = payload(&login);
        assert_eq!(
            u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize,
            p.len()
        );
        let field = |i: usize| {
            let at = 36 + i * 4;
            let off = u16::from_le_bytes([p[at], p[at + 1]]) as usize;
            let len = u16::from_le_bytes([p[at + 2], p[at + 3]]) as usize;
            p[off..off + len * 2].to_vec()
        };
        assert_eq!(field(0), utf16_bytes("ws1"));
        assert_eq!(field(1), utf16_bytes("sa"));
        assert_eq!(field(2), scramble("pw").to_vec());
        assert_eq!(field(3), utf16_bytes("DB-Hive"));
        assert_eq!(field(8), utf16_bytes("master"));
    }
}
