//! The experiment file, read once.
//!
//! `synack run` reads the file's bytes once, before anything runs: the text it parses and
//! simulates is the text the manifest and the journal record, with its SHA-256, so a file
//! edited or deleted while a sweep runs changes nothing in that sweep. `-` (or
//! `/dev/stdin`) reads standard input the same way.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};
use synack_experiment::config::{ConfigError, Experiment};

/// An experiment file's text as it was read, under the name it was given.
#[derive(Clone, Debug)]
pub struct Source {
    /// The file as named on the command line (`-` for standard input).
    pub file: String,
    /// Its text.
    pub text: String,
    /// The SHA-256 of the text, lower-case hex.
    pub sha256: String,
}

/// Why the experiment file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{file}: cannot read the experiment file: {error}")]
    Read { file: String, error: std::io::Error },
    #[error("{file}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { file: String, offset: usize },
    #[error("{file}: the experiment file is larger than {mib} MiB, the most synack reads")]
    TooLarge { file: String, mib: u64 },
}

impl Source {
    /// Reads `path` (standard input for `-`) once.
    pub fn read(path: &Path) -> Result<Source, SourceError> {
        let file = path.display().to_string();
        let read = |error| SourceError::Read {
            file: file.clone(),
            error,
        };
        // One byte past the limit tells a file at the limit from a longer one without
        // reading the whole of a huge (or endless) one.
        let limit = synack_experiment::config::limits::MAX_FILE_BYTES;
        let mut bytes = Vec::new();
        if path == Path::new("-") {
            std::io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(read)?;
        } else {
            std::fs::File::open(path)
                .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
                .map_err(read)?;
        }
        if bytes.len() as u64 > limit {
            return Err(SourceError::TooLarge {
                file,
                mib: limit >> 20,
            });
        }
        let text = String::from_utf8(bytes).map_err(|e| SourceError::NotUtf8 {
            file: file.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        Ok(Source::new(file, text))
    }

    /// A source from its text, named `file`.
    pub fn new(file: String, text: String) -> Source {
        let sha256 = sha256_hex(text.as_bytes());
        Source { file, text, sha256 }
    }

    /// The experiment this text describes; the files its charts read are found relative
    /// to the file's directory.
    pub fn experiment(&self) -> Result<Experiment, ConfigError> {
        Experiment::parse(&self.text, &self.file)
    }
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_the_standard_one() {
        // FIPS 180-2, appendix B.1.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_file_is_read_once_and_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.toml");
        std::fs::write(&path, "name = \"x\"\n").unwrap();
        let source = Source::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(source.text, "name = \"x\"\n");
        assert_eq!(source.sha256, sha256_hex(b"name = \"x\"\n"));
        assert_eq!(source.file, path.display().to_string());
        let err = Source::read(&path).unwrap_err().to_string();
        assert!(err.contains("cannot read the experiment file"), "{err}");
    }
}
