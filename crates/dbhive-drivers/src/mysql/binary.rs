//! The binary protocol's rows (server-side prepared statements, used for catalog queries),
//! every value rendered as the text protocol would write it.

use dbhive_core::DbResult;

use super::protocol::{ColumnDef, Reader, UNSIGNED_FLAG};

fn protocol_error(what: &str) -> dbhive_core::DbError {
    dbhive_core::DbError::connection(format!("protocol error: {what}"))
}

/// A binary-protocol row, every value as text (catalog queries only need text).
pub fn binary_row(row: &[u8], defs: &[ColumnDef]) -> DbResult<Vec<Option<String>>> {
    let mut r = Reader::new(row);
    r.u8()?;
    let bitmap = r.bytes((defs.len() + 9) / 8)?.to_vec();
    let mut out = Vec::with_capacity(defs.len());
    for (i, d) in defs.iter().enumerate() {
        let bit = i + 2;
        if bitmap[bit / 8] & (1 << (bit % 8)) != 0 {
            out.push(None);
            continue;
        }
        let unsigned = d.flags & UNSIGNED_FLAG != 0;
        let text = match d.column_type {
            1 => {
                let b = r.u8()?;
                if unsigned {
                    b.to_string()
                } else {
                    (b as i8).to_string()
                }
            }
            2 | 13 => {
                let v = r.u16()?;
                if unsigned {
                    v.to_string()
                } else {
                    (v as i16).to_string()
                }
            }
            3 | 9 => {
                let v = r.u32()?;
                if unsigned {
                    v.to_string()
                } else {
                    (v as i32).to_string()
                }
            }
            8 => {
                let v = r.u64()?;
                if unsigned {
                    v.to_string()
                } else {
                    (v as i64).to_string()
                }
            }
            4 => f32::from_le_bytes(
                r.bytes(4)?
                    .try_into()
                    .map_err(|_| protocol_error("float"))?,
            )
            .to_string(),
            5 => f64::from_le_bytes(
                r.bytes(8)?
                    .try_into()
                    .map_err(|_| protocol_error("double"))?,
            )
            .to_string(),
            7 | 10 | 12 | 14 | 17 | 18 => {
                let n = r.u8()? as usize;
                binary_datetime(r.bytes(n)?, d.column_type == 10 || d.column_type == 14)
            }
            11 | 19 => {
                let n = r.u8()? as usize;
                binary_time(r.bytes(n)?)
            }
            _ => String::from_utf8_lossy(r.lenenc_bytes()?.unwrap_or_default()).into_owned(),
        };
        out.push(Some(text));
    }
    Ok(out)
}

/// A little-endian unsigned number of `w` bytes at `i`; 0 past the end.
fn le_at(b: &[u8], i: usize, w: usize) -> u64 {
    b.get(i..i + w)
        .map(|s| s.iter().rev().fold(0u64, |a, x| (a << 8) | *x as u64))
        .unwrap_or(0)
}

/// A binary-protocol DATE / DATETIME / TIMESTAMP as the text protocol writes it. Trailing
/// zero parts are left out on the wire: 0, 4, 7 or 11 bytes.
fn binary_datetime(b: &[u8], date_only: bool) -> String {
    let date = format!(
        "{:04}-{:02}-{:02}",
        le_at(b, 0, 2),
        le_at(b, 2, 1),
        le_at(b, 3, 1)
    );
    if date_only {
        return date;
    }
    let mut text = format!(
        "{date} {:02}:{:02}:{:02}",
        le_at(b, 4, 1),
        le_at(b, 5, 1),
        le_at(b, 6, 1)
    );
    if b.len() >= 11 {
        text.push_str(&format!(".{:06}", le_at(b, 7, 4)));
    }
    text
}

/// A binary-protocol TIME: sign, days, hours, minutes, seconds, microseconds (0, 8 or 12
/// bytes), as `[-]HHH:MM:SS[.ffffff]`.
fn binary_time(b: &[u8]) -> String {
    let sign = if b.first() == Some(&1) { "-" } else { "" };
    let hours = le_at(b, 1, 4)
        .saturating_mul(24)
        .saturating_add(le_at(b, 5, 1));
    let mut text = format!(
        "{sign}{hours:02}:{:02}:{:02}",
        le_at(b, 6, 1),
        le_at(b, 7, 1)
    );
    if b.len() >= 12 {
        text.push_str(&format!(".{:06}", le_at(b, 8, 4)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_dates_and_times_read_as_the_text_protocol_writes_them() {
        assert_eq!(binary_datetime(&[], true), "0000-00-00");
        assert_eq!(binary_datetime(&[], false), "0000-00-00 00:00:00");
        assert_eq!(binary_datetime(&[0xe8, 0x07, 2, 29], true), "2024-02-29");
        assert_eq!(
            binary_datetime(&[0xe8, 0x07, 2, 29, 23, 59, 58], false),
            "2024-02-29 23:59:58"
        );
        assert_eq!(
            binary_datetime(&[0xe8, 0x07, 2, 29, 23, 59, 58, 0x3f, 0x42, 0x0f, 0], false),
            "2024-02-29 23:59:58.999999"
        );
        assert_eq!(binary_time(&[]), "00:00:00");
        // -838:59:59: 34 days and 22 hours, negative.
        assert_eq!(binary_time(&[1, 34, 0, 0, 0, 22, 59, 59]), "-838:59:59");
        assert_eq!(
            binary_time(&[0, 0, 0, 0, 0, 1, 2, 3, 0x40, 0xe2, 0x01, 0]),
            "01:02:03.123456"
        );
        // Days far past what a server sends do not overflow.
        assert!(binary_time(&[0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0]).starts_with("103079215080:"));
    }
}
