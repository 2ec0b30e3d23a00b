//! The destination of `call`'s response: stdout, or a file that is opened
//! before the request is sent. A regular file appears only once the body is
//! complete; a FIFO, a device or a `/dev/fd` path is written in place.
//!
//! The temporary file of a regular file is removed when the command fails,
//! and also when SIGINT, SIGTERM or SIGHUP ends the process (see
//! [`crate::signals`]).

use crate::error::Error;
use crate::signals;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// The maximum number of symbolic links followed from the `-o` path, the
/// same limit as Linux's `MAXSYMLINKS`.
const MAX_LINKS: usize = 40;

/// The destination of a response body.
pub enum Output {
    /// Standard output, for no `-o` or `-o -`.
    Stdout,
    /// The file that `-o` names.
    File(PendingFile),
}

impl Output {
    /// Opens the destination that `-o` names. A file target is checked and
    /// opened now, or its temporary file created, so that a bad path fails
    /// before any request is sent.
    pub fn open(path: Option<&Path>) -> Result<Output, Error> {
        match path {
            None => Ok(Output::Stdout),
            Some(path) if path.as_os_str() == "-" => Ok(Output::Stdout),
            Some(path) => PendingFile::create(path).map(Output::File),
        }
    }
}

/// The `-o` file. A regular file is written to a temporary file in its
/// folder that becomes the file on [`PendingFile::commit`] and is removed
/// when dropped uncommitted. Any other file is written in place.
pub struct PendingFile {
    /// The path that `-o` gave, for messages.
    target: PathBuf,
    /// The temporary file and the path it is renamed to, or `None` when
    /// the target is written in place.
    rename: Option<(PathBuf, PathBuf)>,
    writer: Option<BufWriter<File>>,
}

impl PendingFile {
    fn create(target: &Path) -> Result<PendingFile, Error> {
        let shown = target.display();
        let cannot_write = |e: io::Error| Error::usage(format!("cannot write -o {shown}: {e}"));
        match fs::metadata(target) {
            Ok(metadata) if metadata.is_dir() => {
                return Err(Error::usage(format!("-o {shown} is a folder; give a file path")));
            }
            // Renaming a file over a FIFO, a device or a socket would break
            // the program that reads from it, so it is written in place.
            Ok(metadata) if !metadata.is_file() => return PendingFile::in_place(target),
            _ => {}
        }
        let Some(destination) = follow_links(target).map_err(cannot_write)? else {
            return PendingFile::in_place(target);
        };
        let folder = match destination.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(Error::usage(format!(
                "-o {shown}: the folder {} does not exist; create it first",
                folder.display()
            )));
        }
        let temporary = temporary_path(&destination);
        signals::watch();
        let mut pending = signals::pending();
        let file = File::create_new(&temporary).map_err(cannot_write)?;
        pending.temporary_file = Some(temporary.clone());
        drop(pending);
        // The file that the rename replaces keeps its mode, as with the
        // shell's `>`, so a 0600 file does not become readable by others.
        // This happens before any byte of the body is written.
        if let Ok(existing) = fs::metadata(&destination) {
            file.set_permissions(existing.permissions()).map_err(cannot_write)?;
        }
        Ok(PendingFile {
            target: target.to_path_buf(),
            rename: Some((temporary, destination)),
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Opens `target` for writing without a temporary file. A regular file
    /// reached through `/proc`, such as `/dev/stdout` redirected to a file,
    /// is appended to, so that the shell's `>` or `>>` decides whether
    /// earlier contents stay.
    fn in_place(target: &Path) -> Result<PendingFile, Error> {
        log::debug!("-o {} is written in place, without a temporary file", target.display());
        let file = OpenOptions::new()
            .append(true)
            .open(target)
            .map_err(|e| Error::usage(format!("cannot write -o {}: {e}", target.display())))?;
        Ok(PendingFile {
            target: target.to_path_buf(),
            rename: None,
            writer: Some(BufWriter::new(file)),
        })
    }

    /// Returns the path that `-o` gave.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Returns the writer for the body.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.writer.as_mut().expect("the writer is taken only by commit")
    }

    /// Flushes the body. A temporary file is then synced and renamed into
    /// place.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("commit runs once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        let Some((temporary, destination)) = &self.rename else { return Ok(()) };
        file.sync_all()?;
        drop(file);
        let mut pending = signals::pending();
        fs::rename(temporary, destination)?;
        pending.temporary_file = None;
        // Renamed: nothing is left for `drop` to remove.
        self.rename = None;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if let Some((temporary, _)) = &self.rename {
            drop(self.writer.take());
            let mut pending = signals::pending();
            let _ = fs::remove_file(temporary);
            pending.temporary_file = None;
        }
    }
}

/// Follows the symbolic links at `path` to the file that they lead to,
/// which need not exist yet, so that the rename replaces that file and the
/// links stay. Returns `None` when the path leads into `/proc`, where a
/// link such as `/proc/self/fd/1` names an open file rather than a
/// path, so the file must be written in place.
fn follow_links(path: &Path) -> io::Result<Option<PathBuf>> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let folder = match current.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        if fs::canonicalize(folder).is_ok_and(|folder| folder.starts_with("/proc")) {
            return Ok(None);
        }
        let link = match fs::read_link(&current) {
            Ok(link) => link,
            // Not a link, or nothing there yet: this is the file to write.
            Err(e) if matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::NotFound) => {
                return Ok(Some(current));
            }
            Err(e) => return Err(e),
        };
        // A relative link is relative to the folder that contains it, and
        // joining an absolute link replaces the folder.
        current = folder.join(link);
    }
    Err(io::Error::other(format!("more than {MAX_LINKS} levels of symbolic links")))
}

/// Returns a hidden temporary path in the same folder as `path`, so that
/// the final rename stays on one file system.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}.namedcred-{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn folder() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "namedcred-output-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn dash_means_stdout() {
        assert!(matches!(Output::open(Some(Path::new("-"))).unwrap(), Output::Stdout));
        assert!(matches!(Output::open(None).unwrap(), Output::Stdout));
    }

    #[test]
    fn folder_and_missing_parent_rejected() {
        let dir = folder();
        let err = Output::open(Some(&dir)).err().unwrap().to_string();
        assert!(err.contains("is a folder"), "{err}");
        let missing = dir.join("absent").join("out.json");
        let err = Output::open(Some(&missing)).err().unwrap().to_string();
        assert!(err.contains("does not exist"), "{err}");
        assert!(err.contains("out.json"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn uncommitted_file_leaves_nothing_and_committed_file_appears() {
        let dir = folder();
        let target = dir.join("body.json");
        let Output::File(mut pending) = Output::open(Some(&target)).unwrap() else {
            panic!("a path gives a file output");
        };
        pending.writer().write_all(b"partial").unwrap();
        drop(pending);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);

        let Output::File(mut pending) = Output::open(Some(&target)).unwrap() else {
            panic!("a path gives a file output");
        };
        pending.writer().write_all(b"whole").unwrap();
        pending.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"whole");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_to_the_file() {
        use std::os::unix::fs::symlink;
        let dir = folder();
        fs::create_dir_all(dir.join("sub")).unwrap();
        symlink("sub/middle", dir.join("first")).unwrap();
        symlink("../last.txt", dir.join("sub/middle")).unwrap();
        let resolved = follow_links(&dir.join("first")).unwrap().unwrap();
        assert_eq!(resolved, dir.join("sub/../last.txt"));
        let plain = dir.join("plain.txt");
        assert_eq!(follow_links(&plain).unwrap(), Some(plain));
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn link_loop_is_an_error() {
        let dir = folder();
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
        let err = follow_links(&dir.join("loop")).unwrap_err().to_string();
        assert!(err.contains("levels of symbolic links"), "{err}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn descriptor_links_are_not_followed() {
        assert_eq!(follow_links(Path::new("/dev/stdout")).unwrap(), None);
        assert_eq!(follow_links(Path::new("/proc/self/fd/1")).unwrap(), None);
    }
}
