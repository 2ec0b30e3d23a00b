//! The destination of `call`'s response: stdout, or a file that is opened
//! before the request is sent and appears only once the body is complete.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The destination of a response body.
pub enum Output {
    /// Standard output, for no `-o` or `-o -`.
    Stdout,
    /// A file written through a temporary file in the same folder.
    File(PendingFile),
}

impl Output {
    /// Opens the destination that `-o` names. A file target is checked and
    /// its temporary file created now, so that a bad path fails before any
    /// request is sent.
    pub fn open(path: Option<&Path>) -> Result<Output, Error> {
        match path {
            None => Ok(Output::Stdout),
            Some(path) if path.as_os_str() == "-" => Ok(Output::Stdout),
            Some(path) => PendingFile::create(path).map(Output::File),
        }
    }
}

/// A temporary file that becomes the `-o` file on [`PendingFile::commit`],
/// and is removed when dropped uncommitted.
pub struct PendingFile {
    target: PathBuf,
    temporary: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl PendingFile {
    fn create(target: &Path) -> Result<PendingFile, Error> {
        let shown = target.display();
        if target.is_dir() {
            return Err(Error::usage(format!("-o {shown} is a folder; give a file path")));
        }
        let folder = match target.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        if !folder.is_dir() {
            return Err(Error::usage(format!(
                "-o {shown}: the folder {} does not exist; create it first",
                folder.display()
            )));
        }
        let temporary = temporary_path(target);
        let file = File::create_new(&temporary)
            .map_err(|e| Error::usage(format!("cannot write -o {shown}: {e}")))?;
        Ok(PendingFile {
            target: target.to_path_buf(),
            temporary,
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

    /// Flushes and syncs the temporary file and renames it into place.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("commit runs once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temporary, &self.target)?;
        // Renamed: nothing is left for `drop` to remove.
        self.temporary = PathBuf::new();
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.temporary.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = fs::remove_file(&self.temporary);
        }
    }
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
}
