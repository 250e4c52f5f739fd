//! The one way synack writes a file: atomically.
//!
//! Every result, chart and view is written to a temporary name in its target's directory,
//! flushed to disk and renamed over the target, so an interrupted run leaves either the old
//! file or the new one, never a truncated one (DESIGN.md, "Results"). The temporary file
//! carries the process id, so shards writing into one directory never share one. Files are
//! created with the permissions the user's umask gives any new file.
//!
//! `synack-plot` writes nothing: it renders charts to bytes and [`crate::charts`] writes
//! them here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a file or the output directory could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create output directory {}: {error}", path.display())]
    CreateDir {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write {}: {error}", path.display())]
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// Creates `dir` if needed and checks that files can be written in it, before any run starts.
pub fn prepare_output_dir(dir: &Path) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(|error| WriteError::CreateDir {
        path: dir.to_path_buf(),
        error,
    })?;
    let probe = dir.join(format!(".synack-write-test-{}", std::process::id()));
    let result = fs::write(&probe, b"").map_err(|error| WriteError::Write {
        path: dir.to_path_buf(),
        error,
    });
    let _ = fs::remove_file(&probe);
    result
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed,
/// then renamed over `path`. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let err = |error| WriteError::Write {
        path: path.to_path_buf(),
        error,
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = directory_of(path).join(format!(".tmp-{}-{name}", std::process::id()));
    let mut file = fs::File::create(&tmp).map_err(err)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    Ok(())
}

/// The directory a file lives in; a bare file name lives in the current directory.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<std::ffi::OsString> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    }

    #[test]
    fn bare_file_names_live_in_the_current_directory() {
        assert_eq!(directory_of(Path::new("chart.png")), Path::new("."));
        assert_eq!(directory_of(Path::new("out/chart.png")), Path::new("out"));
        assert_eq!(directory_of(Path::new("/chart.png")), Path::new("/"));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        fs::write(&path, b"old contents").unwrap();
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["runs.csv"]);
    }

    #[test]
    fn missing_directory_is_a_write_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/chart.svg");
        match write_atomic(&path, b"<svg/>") {
            Err(WriteError::Write { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected a write error, got {other:?}"),
        }
    }

    #[test]
    fn target_that_is_a_directory_is_a_write_error_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"x").unwrap();
        let err = write_atomic(&target, b"png").unwrap_err();
        assert!(matches!(err, WriteError::Write { .. }), "{err:?}");
        assert!(err.to_string().contains("taken"), "{err}");
        assert_eq!(names(dir.path()), ["taken"], "temporary file left behind");
        assert_eq!(names(&target), ["keep"]);
    }
}
