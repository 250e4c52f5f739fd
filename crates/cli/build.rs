//! The build's identity, for journals (`synack run` resumes, and `synack merge` merges, only
//! runs of the same code): the package version, the git commit, and when the sources
//! differ from it a digest of the difference. Without git (a source archive) it is the
//! version alone.

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it");
    let root = Path::new(&manifest_dir).join("../..");
    let version = std::env::var("CARGO_PKG_VERSION").expect("cargo sets it");
    // Any change to the sources, the lock file or the commit makes a new identity.
    for path in ["crates", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(path).display());
    }
    for git_path in ["HEAD", "logs/HEAD", "index"] {
        if let Some(p) = git(&root, &["rev-parse", "--git-path", git_path]) {
            println!("cargo:rerun-if-changed={}", root.join(p.trim()).display());
        }
    }
    let code = match git(&root, &["rev-parse", "HEAD"]) {
        None => version,
        Some(commit) => {
            let scope = ["--", "crates", "Cargo.toml", "Cargo.lock"];
            let diff = git(&root, &[&["diff", "HEAD", "--binary"][..], &scope].concat());
            let untracked = git(
                &root,
                &[&["ls-files", "--others", "--exclude-standard"][..], &scope].concat(),
            );
            let mut changes = diff.unwrap_or_default().into_bytes();
            for file in untracked.unwrap_or_default().lines() {
                changes.extend_from_slice(file.as_bytes());
                changes.extend(std::fs::read(root.join(file)).unwrap_or_default());
            }
            let commit = &commit.trim()[..commit.trim().len().min(12)];
            if changes.is_empty() {
                format!("{version}+{commit}")
            } else {
                format!("{version}+{commit}.modified-{:016x}", fnv1a(&changes))
            }
        }
    };
    println!("cargo:rustc-env=SYNACK_BUILD={code}");
}

/// The output of `git ARGS` in `dir`, if git runs and succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// FNV-1a, 64 bits: a stable digest of the uncommitted changes (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
