//! How synack writes files: one file atomically, a results directory as one set.
//!
//! Every chart, view and journal header is written to a temporary name in its target's
//! directory, flushed to disk and renamed over the target ([`write_atomic`]), so an
//! interrupted write leaves either the old file or the new one, never a truncated one. The
//! temporary file carries the process id, so two processes never share one. Files are
//! created with the permissions the user's umask gives any new file.
//!
//! A results directory is replaced as a whole ([`OutputDir`], [`Stage`]): the new set is
//! written into `.NAME.synack-stage-PID` beside the target `NAME`, flushed, and swapped in
//! with one `renameat2(RENAME_EXCHANGE)`; the previous set stays whole until that instant
//! and is removed after it. A reader sees the old set or the new one, never a mix. Where
//! the file system cannot exchange (not Linux, or a file system without it), the old
//! directory is first renamed to `.NAME.synack-old-PID`; a crash between the two renames
//! leaves no `NAME`, and the next run into it puts the old set back.
//!
//! Opening an output directory takes an exclusive lock (`flock`) on it, so two processes
//! never write one directory; with the lock held, every temporary a crashed run left there
//! (stages, old sets, `.tmp-` files) is removed.
//!
//! What belongs in a results directory: `manifest.json`, the files its `files` list names,
//! and, while a sweep is unfinished, its `journal.jsonl`. Since the set is replaced whole,
//! anything else there would be lost: [`OutputDir::foreign_files`] lists it, and `synack run`
//! and `synack merge` refuse to start until it is moved (DESIGN.md, "Results").
//!
//! `synack-plot` writes nothing: it renders charts to bytes and [`crate::charts`] writes
//! them here.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal of an unfinished sweep, in its output directory ([`crate::journal`]).
pub const JOURNAL: &str = "journal.jsonl";

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
    #[error("another synack is writing {} (it holds the directory's lock)", path.display())]
    Locked { path: PathBuf },
    #[error(
        "{} holds {} that synack did not write: {}; results replace the directory as a whole, \
         so move {} away or choose another --out",
        path.display(),
        if files.len() == 1 { "a file" } else { "files" },
        files.join(", "),
        if files.len() == 1 { "it" } else { "them" }
    )]
    Foreign { path: PathBuf, files: Vec<String> },
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
}

/// An output directory, created if needed and locked for this process until it is dropped.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    parent: PathBuf,
    name: String,
    /// Held open for its `flock`.
    _lock: fs::File,
}

impl OutputDir {
    /// Opens `path` for writing results: puts back a set a crash left half swapped, creates
    /// the directory, locks it, removes what crashed runs left, and checks that a stage can
    /// be made beside it.
    pub fn open(path: &Path) -> Result<OutputDir, WriteError> {
        let (parent, name) = split(path)?;
        let path = parent.join(&name);
        restore_old_set(&parent, &name, &path);
        fs::create_dir_all(&path).map_err(|error| WriteError::CreateDir {
            path: path.clone(),
            error,
        })?;
        if !path.is_dir() {
            return Err(WriteError::NotADirectory { path });
        }
        let lock = lock(&path)?;
        let dir = OutputDir {
            path,
            parent,
            name,
            _lock: lock,
        };
        dir.remove_temporaries();
        let probe = dir.temporary("probe");
        fs::create_dir(&probe)
            .and_then(|()| fs::remove_dir(&probe))
            .map_err(|error| WriteError::Write {
                path: dir.parent.clone(),
                error,
            })?;
        Ok(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the directory holds that synack did not write (sorted): anything but
    /// `manifest.json`, the files it lists (or, in a manifest without that list, the CSV
    /// tables and `.png`/`.svg` charts), and the journal. With `journal_only` (a shard's
    /// directory, which holds nothing but its journal), a results set is foreign too.
    pub fn foreign_files(&self, journal_only: bool) -> Result<Vec<String>, WriteError> {
        let listed: Option<Vec<String>> = fs::read_to_string(self.path.join("manifest.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<ListedFiles>(&text).ok())
            .map(|m| m.files);
        let ours = |name: &str| -> bool {
            if name == JOURNAL {
                return true;
            }
            if journal_only {
                return false;
            }
            match &listed {
                None => false,
                Some(_) if name == "manifest.json" => true,
                Some(files) if !files.is_empty() => files.iter().any(|f| f == name),
                Some(_) => {
                    matches!(name, "runs.csv" | "summary.csv" | "series.csv")
                        || name.ends_with(".png")
                        || name.ends_with(".svg")
                }
            }
        };
        let mut foreign = Vec::new();
        for entry in fs::read_dir(&self.path).map_err(|error| self.write_error(error))? {
            let entry = entry.map_err(|error| self.write_error(error))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry.file_type().is_ok_and(|t| t.is_file());
            if !(is_file && ours(&name)) {
                foreign.push(if is_file { name } else { format!("{name}/") });
            }
        }
        foreign.sort();
        Ok(foreign)
    }

    /// Fails with [`WriteError::Foreign`] when [`OutputDir::foreign_files`] finds any.
    pub fn refuse_foreign(&self, journal_only: bool) -> Result<(), WriteError> {
        let files = self.foreign_files(journal_only)?;
        if files.is_empty() {
            Ok(())
        } else {
            Err(WriteError::Foreign {
                path: self.path.clone(),
                files,
            })
        }
    }

    /// A new, empty stage beside the directory, to write the next set into.
    pub fn stage(&self) -> Result<Stage<'_>, WriteError> {
        let path = self.temporary("stage");
        fs::create_dir(&path).map_err(|error| WriteError::Write {
            path: path.clone(),
            error,
        })?;
        Ok(Stage {
            out: self,
            path,
            committed: false,
        })
    }

    /// `.NAME.synack-KIND-PID` beside the directory.
    fn temporary(&self, kind: &str) -> PathBuf {
        self.parent.join(format!(
            ".{}.synack-{kind}-{}",
            self.name,
            std::process::id()
        ))
    }

    /// Removes what crashed runs left: stages, old sets and probes beside the directory, `.tmp-`
    /// files inside it. Only a process holding the lock calls this, so none of them is in use.
    fn remove_temporaries(&self) {
        for kind in ["stage", "old", "probe"] {
            for path in temporaries(&self.parent, &self.name, kind) {
                let _ = fs::remove_dir_all(&path);
            }
        }
        if let Ok(entries) = fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(".tmp-") || name.starts_with(".synack-write-test-") {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }

    fn write_error(&self, error: std::io::Error) -> WriteError {
        WriteError::Write {
            path: self.path.clone(),
            error,
        }
    }
}

/// The `files` of a manifest, read without the rest.
#[derive(serde::Deserialize)]
struct ListedFiles {
    #[serde(default)]
    files: Vec<String>,
}

/// A results set being written beside its output directory; dropped without
/// [`Stage::commit`], it is removed.
#[derive(Debug)]
pub struct Stage<'a> {
    out: &'a OutputDir,
    path: PathBuf,
    committed: bool,
}

impl Stage<'_> {
    /// The directory to write the set into.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the set and puts it in the output directory's place in one rename; the
    /// previous set, journal included, is removed.
    pub fn commit(mut self) -> Result<(), WriteError> {
        let target = &self.out.path;
        let write = |error| WriteError::Write {
            path: target.clone(),
            error,
        };
        sync_dir(&self.path).map_err(write)?;
        match exchange(&self.path, target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // The output directory is gone (removed by hand): the set takes its name.
                fs::rename(&self.path, target).map_err(write)?;
            }
            Err(_) => {
                let old = self.out.temporary("old");
                fs::rename(target, &old).map_err(write)?;
                if let Err(e) = fs::rename(&self.path, target) {
                    let _ = fs::rename(&old, target);
                    return Err(write(e));
                }
                let _ = fs::remove_dir_all(&old);
            }
        }
        self.committed = true;
        sync_dir(&self.out.parent).map_err(write)?;
        // After an exchange the stage's name holds the previous set.
        let _ = fs::remove_dir_all(&self.path);
        Ok(())
    }
}

impl Drop for Stage<'_> {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

/// The parent and the name of an output directory (`.`, `..` and a symbolic link resolved:
/// the set replaces the directory a link points to, not the link).
fn split(path: &Path) -> Result<(PathBuf, String), WriteError> {
    let resolved;
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let path = if path.file_name().is_none() || is_link {
        resolved = path.canonicalize().map_err(|error| WriteError::CreateDir {
            path: path.to_path_buf(),
            error,
        })?;
        &resolved
    } else {
        path
    };
    match (path.file_name().and_then(OsStr::to_str), path.parent()) {
        (Some(name), Some(parent)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            Ok((parent.to_path_buf(), name.to_string()))
        }
        _ => Err(WriteError::CreateDir {
            path: path.to_path_buf(),
            error: std::io::Error::other("not a directory name synack can write results under"),
        }),
    }
}

/// `.NAME.synack-KIND-PID` entries of `parent`.
fn temporaries(parent: &Path, name: &str, kind: &str) -> Vec<PathBuf> {
    let prefix = format!(".{name}.synack-{kind}-");
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n.strip_prefix(&prefix)
                    .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            })
        })
        .map(|e| e.path())
        .collect()
}

/// After a crash between the two renames of a swap without exchange, `NAME` is missing and
/// its previous set is `.NAME.synack-old-PID`: put it back.
fn restore_old_set(parent: &Path, name: &str, path: &Path) {
    if path.exists() {
        return;
    }
    if let Some(old) = temporaries(parent, name, "old").first() {
        let _ = fs::rename(old, path);
    }
}

/// Exchanges two paths atomically (Linux's `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// Takes the directory's exclusive lock, without waiting. The directory is opened by name
/// again after locking until the name still names the locked directory: a swap in between
/// would leave the lock on the previous set.
#[cfg(unix)]
fn lock(path: &Path) -> Result<fs::File, WriteError> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    let write = |error| WriteError::Write {
        path: path.to_path_buf(),
        error,
    };
    loop {
        let file = fs::File::open(path).map_err(write)?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = std::io::Error::last_os_error();
            return Err(match error.raw_os_error() {
                Some(libc::EWOULDBLOCK) => WriteError::Locked {
                    path: path.to_path_buf(),
                },
                _ => write(error),
            });
        }
        let (locked, named) = (file.metadata().map_err(write)?, fs::metadata(path));
        if named.is_ok_and(|n| n.ino() == locked.ino() && n.dev() == locked.dev()) {
            return Ok(file);
        }
    }
}

#[cfg(not(unix))]
fn lock(path: &Path) -> Result<fs::File, WriteError> {
    fs::File::open(path).map_err(|error| WriteError::Write {
        path: path.to_path_buf(),
        error,
    })
}

/// Flushes a directory's entries to disk.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    match fs::File::open(dir).and_then(|d| d.sync_all()) {
        // Some systems cannot open or flush a directory; the files themselves are flushed.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(()),
        other => other,
    }
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

    fn set(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            fs::write(dir.join(name), text).unwrap();
        }
    }

    #[test]
    fn a_committed_stage_replaces_the_whole_set_and_a_dropped_one_changes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("results");
        fs::create_dir(&target).unwrap();
        set(&target, &[("runs.csv", "old"), ("old-chart.png", "old")]);
        let out = OutputDir::open(&target).unwrap();
        let stage = out.stage().unwrap();
        set(stage.path(), &[("runs.csv", "new")]);
        drop(stage);
        assert_eq!(names(&target).len(), 2);
        assert_eq!(names(tmp.path()), ["results"], "the dropped stage is gone");

        let stage = out.stage().unwrap();
        set(stage.path(), &[("runs.csv", "new")]);
        stage.commit().unwrap();
        assert_eq!(names(&target), ["runs.csv"], "nothing of the old set stays");
        assert_eq!(fs::read(target.join("runs.csv")).unwrap(), b"new");
        assert_eq!(names(tmp.path()), ["results"], "the old set is removed");
    }

    #[test]
    fn opening_removes_what_crashed_runs_left_and_a_second_writer_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("results");
        fs::create_dir(&target).unwrap();
        fs::create_dir(tmp.path().join(".results.synack-stage-123")).unwrap();
        fs::create_dir(tmp.path().join(".results.synack-stage-x")).unwrap();
        fs::write(target.join(".tmp-123-series.csv"), "half").unwrap();
        let out = OutputDir::open(&target).unwrap();
        let mut left = names(tmp.path());
        left.sort();
        assert_eq!(
            left,
            [".results.synack-stage-x", "results"],
            "only synack's names"
        );
        assert!(names(&target).is_empty());
        match OutputDir::open(&target) {
            Err(WriteError::Locked { .. }) => {}
            other => panic!("expected the lock to be held, got {other:?}"),
        }
        drop(out);
        OutputDir::open(&target).unwrap();
    }

    #[test]
    fn a_swap_that_crashed_between_two_renames_is_undone() {
        let tmp = tempfile::tempdir().unwrap();
        let old = tmp.path().join(".results.synack-old-77");
        fs::create_dir(&old).unwrap();
        set(&old, &[("runs.csv", "previous")]);
        let out = OutputDir::open(&tmp.path().join("results")).unwrap();
        assert_eq!(fs::read(out.path().join("runs.csv")).unwrap(), b"previous");
    }

    #[test]
    fn files_synack_did_not_write_are_named() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("results");
        fs::create_dir(&target).unwrap();
        let manifest = r#"{"files": ["runs.csv", "loss.png"]}"#;
        set(
            &target,
            &[
                ("manifest.json", manifest),
                ("runs.csv", ""),
                ("loss.png", ""),
                ("journal.jsonl", ""),
                ("notes.md", ""),
                ("old.svg", ""),
            ],
        );
        fs::create_dir(target.join("raw")).unwrap();
        let out = OutputDir::open(&target).unwrap();
        assert_eq!(
            out.foreign_files(false).unwrap(),
            ["notes.md", "old.svg", "raw/"]
        );
        assert_eq!(
            out.foreign_files(true).unwrap(),
            [
                "loss.png",
                "manifest.json",
                "notes.md",
                "old.svg",
                "raw/",
                "runs.csv"
            ]
        );
        // A manifest of a synack that did not list its files: tables and charts are its.
        fs::write(target.join("manifest.json"), "{}").unwrap();
        assert_eq!(out.foreign_files(false).unwrap(), ["notes.md", "raw/"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_the_directory_stays_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let out = OutputDir::open(&link).unwrap();
        let stage = out.stage().unwrap();
        set(stage.path(), &[("runs.csv", "new")]);
        stage.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(real.join("runs.csv")).unwrap(), b"new");
    }
}
