//! The app's own files (saved connections, settings): readable by their owner only, and
//! replaced atomically and durably, so a crash or a full disk never leaves half a file and
//! nothing the user saved is lost.

use std::io::Write;
use std::path::Path;

use dbhive_core::{DbError, DbResult};

fn io_error(what: &str, path: &Path, e: std::io::Error) -> DbError {
    DbError::internal(format!("cannot {what} {}: {e}", path.display()))
}

/// Writes `bytes` to `path`: a private temporary file beside it, flushed to disk, renamed
/// over the old one, and the directory entry flushed too.
pub fn write_private(path: &Path, bytes: &[u8]) -> DbResult<()> {
    let dir = path
        .parent()
        .ok_or_else(|| DbError::internal(format!("{} has no folder", path.display())))?;
    create_private_dir(dir)?;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&tmp)
        .map_err(|e| io_error("create", &tmp, e))?;
    // An existing temporary file keeps its old mode through open(): set it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io_error("protect", &tmp, e))?;
    }
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| io_error("write", &tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io_error("replace", path, e))?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Makes an existing file of the app's, and its folder, private to their owner (one written
/// by an older version, or copied in, may be readable by everyone).
pub fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = |p: &Path, mode: u32| {
            if let Ok(meta) = std::fs::metadata(p)
                && meta.permissions().mode() & 0o077 != 0
                && let Err(e) = std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
            {
                tracing::warn!(error = %e, "cannot make {} private", p.display());
            }
        };
        if let Some(dir) = path.parent() {
            private(dir, 0o700);
        }
        private(path, 0o600);
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn create_private_dir(dir: &Path) -> DbResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io_error("create", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_whole_and_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("f.json");
        write_private(&path, b"one").expect("write");
        write_private(&path, b"two").expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        assert!(!path.with_extension("tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            tighten(&path);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
    }
}
