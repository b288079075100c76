//! `host\INSTANCE`: the SQL Server Browser (UDP 1434) says which TCP port a named
//! instance listens on (MC-SQLR's CLNT_UCAST_INST request).

use std::time::Duration;

use dbhive_core::{DbError, DbResult, ErrorKind};
use tokio::net::UdpSocket;

const BROWSER_PORT: u16 = 1434;

/// The `tcp` port in a browser answer for `instance`.
pub fn port_in_answer(answer: &[u8], instance: &str) -> Option<u16> {
    // SVR_RESP: 0x05, a 16-bit length, then "Key;Value;" pairs per instance ending ";;".
    if answer.first() != Some(&0x05) || answer.len() < 3 {
        return None;
    }
    let len = u16::from_le_bytes([answer[1], answer[2]]) as usize;
    let body = answer.get(3..3 + len.min(answer.len() - 3))?;
    let text = String::from_utf8_lossy(body);
    for entry in text.split(";;") {
        let parts: Vec<&str> = entry.split(';').collect();
        let field = |key: &str| {
            parts
                .chunks(2)
                .find(|kv| kv[0].eq_ignore_ascii_case(key))
                .and_then(|kv| kv.get(1).copied())
        };
        if field("InstanceName").is_some_and(|n| n.eq_ignore_ascii_case(instance)) {
            return field("tcp").and_then(|p| p.parse().ok());
        }
    }
    None
}

pub async fn instance_port(host: &str, instance: &str, timeout: Duration) -> DbResult<u16> {
    let fail = |why: String| {
        DbError::new(
            ErrorKind::Connection,
            format!("cannot find instance {instance} on {host}: {why}"),
        )
        .with_hint(Some(
            "The SQL Server Browser service (UDP port 1434) must run on the server and be reachable; or give the instance's TCP port instead of its name.".into(),
        ))
    };
    let socket = UdpSocket::bind(("0.0.0.0", 0))
        .await
        .map_err(|e| fail(e.to_string()))?;
    socket
        .connect((host, BROWSER_PORT))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut request = vec![0x04];
    request.extend_from_slice(instance.as_bytes());
    request.push(0);
    socket
        .send(&request)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut buf = vec![0u8; 65_535];
    let n = tokio::time::timeout(timeout.min(Duration::from_secs(5)), socket.recv(&mut buf))
        .await
        .map_err(|_| fail("the SQL Server Browser did not answer".into()))?
        .map_err(|e| fail(e.to_string()))?;
    port_in_answer(&buf[..n], instance)
        .ok_or_else(|| fail("the SQL Server Browser does not list it with a TCP port".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_instance_port_is_read_from_the_answer() {
        let body = "ServerName;DB1;InstanceName;MSSQLSERVER;IsClustered;No;Version;16.0.1000.6;tcp;1433;;ServerName;DB1;InstanceName;SQLEXPRESS;IsClustered;No;Version;16.0.1000.6;tcp;49822;;";
        let mut answer = vec![0x05];
        answer.extend_from_slice(&(body.len() as u16).to_le_bytes());
        answer.extend_from_slice(body.as_bytes());
        assert_eq!(port_in_answer(&answer, "sqlexpress"), Some(49822));
        assert_eq!(port_in_answer(&answer, "MSSQLSERVER"), Some(1433));
        assert_eq!(port_in_answer(&answer, "OTHER"), None);
        assert_eq!(port_in_answer(&[0x05, 0xFF, 0xFF], "x"), None);
        assert_eq!(port_in_answer(&[], "x"), None);
    }
}
