//! From the command line's target to an open connection.

use std::io::{IsTerminal, Read};
use std::sync::Arc;

use dbhive_core::{Connection, ConnectionConfig, Secret};
use zeroize::Zeroizing;

use crate::cli::Target;
use crate::exit::Failure;
use crate::report;

/// Opens the connection the target names. The password comes from standard input
/// (`--password-stdin`), the URL, or DBHIVE_PASSWORD, in that order; it is never printed.
pub async fn open(target: &Target) -> Result<Arc<dyn Connection>, Failure> {
    let (config, from_url) = ConnectionConfig::from_url(&target.url).map_err(Failure::connect)?;
    if from_url.is_some() && std::env::var("DBHIVE_URL").ok().as_deref() != Some(&target.url) {
        report::warning(
            "the password in --url is visible to other users of this machine (ps, /proc); \
             use DBHIVE_PASSWORD or --password-stdin instead",
        );
    }
    let secret = if target.password_stdin {
        Some(password_from_stdin()?)
    } else {
        from_url.or_else(|| std::env::var("DBHIVE_PASSWORD").ok().map(Secret::new))
    };
    let registry = dbhive_drivers::registry();
    registry
        .driver(config.engine)
        .map_err(Failure::connect)?
        .connect(&config, secret)
        .await
        .map_err(Failure::connect)
}

/// All of standard input, less one line ending: `printf '%s\n' "$PW" | dbhive ...`. On a
/// terminal, one line typed without echo after a prompt.
fn password_from_stdin() -> Result<Secret, Failure> {
    if std::io::stdin().is_terminal() {
        let typed = Zeroizing::new(
            rpassword::prompt_password("Password: ")
                .map_err(|e| Failure::usage(format!("cannot read the password: {e}")))?,
        );
        return Ok(Secret::new(typed.as_str()));
    }
    let mut raw = Zeroizing::new(Vec::new());
    std::io::stdin().read_to_end(&mut raw).map_err(|e| {
        Failure::usage(format!("cannot read the password from standard input: {e}"))
    })?;
    let mut end = raw.len();
    if raw[..end].ends_with(b"\n") {
        end -= 1;
        if raw[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    let text = std::str::from_utf8(&raw[..end])
        .map_err(|_| Failure::usage("the password on standard input is not UTF-8"))?;
    Ok(Secret::new(text))
}
