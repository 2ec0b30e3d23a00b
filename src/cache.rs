//! The on-disk cache of access tokens from jwt-exchange credentials.
//!
//! Each entry is a JSON file named after its [cache key](key::cache_key).
//! On Unix the folder is created with mode 0700 and the files with 0600,
//! and a folder that other users can write to is not used.
//! Entries are replaced atomically: a temporary file in the same folder is
//! renamed over the old one, so a reader sees a whole entry or none. A
//! damaged entry is reported as a warning and replaced, never an error.
//!
//! Exchanges are single flight across processes: each entry has a lock
//! file. A process takes an exclusive advisory lock on it (std's
//! `File::lock`, which is `flock` on Linux), reads the entry again, and
//! only then exchanges and writes. The operating system drops the lock
//! when a process exits, so a crashed process never blocks the others.

mod entry;
mod key;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

pub use entry::{Entry, expires_at};
pub use key::cache_key;

use crate::error::Error;
use crate::secret::Secret;

/// Environment variable that names the cache folder.
pub const CACHE_DIR_ENV: &str = "NAMEDCRED_CACHE_DIR";

/// The largest entry file that is read; a larger one is treated as damaged.
const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// Returns the cache folder: `NAMEDCRED_CACHE_DIR` when set, else the
/// platform cache folder (`$XDG_CACHE_HOME/namedcred` on Linux).
///
/// Fails with a configuration error when neither is known, which happens
/// only when the home folder cannot be found.
pub fn folder() -> Result<PathBuf, Error> {
    if let Some(value) = std::env::var_os(CACHE_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(value));
    }
    directories::ProjectDirs::from("", "", "namedcred")
        .map(|dirs| dirs.cache_dir().to_path_buf())
        .ok_or_else(|| {
            Error::config("cannot find the cache folder, because the home folder is unknown")
                .with_hint(format!("set {CACHE_DIR_ENV} to a folder for cached tokens"))
        })
}

/// The rule that decides which cached token [`Slot::obtain`] may return
/// instead of fetching a new one.
#[derive(Debug, Clone, Copy)]
pub enum Reuse<'a> {
    /// Any fresh token.
    Fresh,
    /// A fresh token other than this one, which the API rejected. Another
    /// process may already have replaced it.
    Except(&'a Secret<String>),
}

/// The place of one cache entry: its file and its lock file.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The cache folder.
    folder: PathBuf,
    /// The cache key, which names both files.
    key: String,
}

/// An exclusive lock on a cache entry, released when dropped.
#[derive(Debug)]
pub struct Guard {
    /// The locked file; closing it releases the lock.
    _file: File,
}

impl Slot {
    /// Creates the slot of cache key `key` in `folder`.
    pub fn new(folder: PathBuf, key: String) -> Slot {
        Slot { folder, key }
    }

    /// Returns the path of the entry file.
    pub fn path(&self) -> PathBuf {
        entry_path(&self.folder, &self.key)
    }

    /// Returns a cached token that `reuse` allows, or runs `fetch` under
    /// the entry's lock and stores what it returns.
    ///
    /// Fails only when `fetch` fails. When the cache cannot be used, a
    /// warning gives the reason and `fetch` runs without it.
    pub fn obtain(
        &self,
        reuse: Reuse<'_>,
        fetch: impl FnOnce() -> Result<Entry, Error>,
    ) -> Result<Entry, Error> {
        if let Reuse::Fresh = reuse
            && let Some(entry) = self.reusable(reuse, false)
        {
            return Ok(entry);
        }
        let Some(_guard) = self.lock_or_warn() else {
            return fetch();
        };
        // Another process may have written a token while this one waited.
        if let Some(entry) = self.reusable(reuse, true) {
            return Ok(entry);
        }
        if let Reuse::Except(_) = reuse {
            self.remove_or_warn();
        }
        let entry = fetch()?;
        self.store(&entry);
        Ok(entry)
    }

    /// Returns the cached token when it is fresh and `reuse` allows it.
    /// With `warn`, a damaged entry is reported as a warning.
    fn reusable(&self, reuse: Reuse<'_>, warn: bool) -> Option<Entry> {
        let entry = self.read(warn)?;
        let now = crate::token::now();
        if !entry.is_fresh(now) {
            log::debug!("the cached token of `{}` is expired or about to expire", entry.credential);
            return None;
        }
        if let Reuse::Except(rejected) = reuse
            && entry.access_token == *rejected
        {
            return None;
        }
        log::debug!("reusing the cached token of `{}` from {}", entry.credential, self.shown());
        Some(entry)
    }

    /// Reads the entry. Returns `None` when there is none or it is damaged;
    /// with `warn`, a damaged entry is reported as a warning.
    pub fn read(&self, warn: bool) -> Option<Entry> {
        let path = self.path();
        match read_entry(&path, &self.key) {
            Ok(entry) => Some(entry),
            Err(ReadError::Missing) => None,
            Err(ReadError::Damaged(reason)) => {
                if warn {
                    log::warn!(
                        "ignoring the token cache entry {}: {reason}; a new token replaces it",
                        path.display()
                    );
                }
                None
            }
        }
    }

    /// Takes the entry's lock, waiting for another process that holds it.
    /// On failure a warning gives the reason, and the caller goes on
    /// without the cache.
    pub fn lock_or_warn(&self) -> Option<Guard> {
        match self.lock() {
            Ok(guard) => Some(guard),
            Err(e) => {
                log::warn!(
                    "cannot lock the token cache entry {}: {e}; exchanging without the cache",
                    self.shown()
                );
                None
            }
        }
    }

    /// Creates the folder and the lock file as needed and takes the lock.
    fn lock(&self) -> io::Result<Guard> {
        create_folder(&self.folder)?;
        let path = self.folder.join(format!("{}.lock", self.key));
        let file = open_private(&path, false)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                log::debug!("waiting for another namedcred process to unlock {}", path.display());
                file.lock()?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
        Ok(Guard { _file: file })
    }

    /// Writes the entry atomically; a failure is reported as a warning,
    /// because the token in hand is still good.
    pub fn store(&self, entry: &Entry) {
        match self.write(entry) {
            Ok(()) => log::debug!("stored the token of `{}` in {}", entry.credential, self.shown()),
            Err(e) => log::warn!("cannot write the token cache entry {}: {e}", self.shown()),
        }
    }

    /// Writes a temporary file in the cache folder and renames it over the
    /// entry.
    fn write(&self, entry: &Entry) -> io::Result<()> {
        create_folder(&self.folder)?;
        let temporary = self.folder.join(format!(
            ".{}.{}.{}.tmp",
            self.key,
            std::process::id(),
            crate::token::new_jti()
        ));
        let written = open_private(&temporary, true)
            .and_then(|mut file| {
                file.write_all(&entry.to_bytes(&self.key))?;
                file.sync_all()
            })
            .and_then(|()| fs::rename(&temporary, self.path()));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }

    /// Removes the entry; a failure other than a missing file is reported
    /// as a warning.
    fn remove_or_warn(&self) {
        match fs::remove_file(self.path()) {
            Ok(()) => log::debug!("discarded the rejected token in {}", self.shown()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove the token cache entry {}: {e}", self.shown()),
        }
    }

    /// Returns the entry path for messages.
    fn shown(&self) -> String {
        self.path().display().to_string()
    }
}

/// One entry file found by [`list`].
#[derive(Debug)]
pub struct Listed {
    /// The entry file.
    pub path: PathBuf,
    /// The entry, or why it cannot be read.
    pub entry: Result<Entry, String>,
}

/// Reads every entry in `folder`, sorted by credential name and expiry;
/// damaged entries come last. A missing folder has no entries.
pub fn list(folder: &Path) -> io::Result<Vec<Listed>> {
    let mut listed = Vec::new();
    for (path, key) in entry_files(folder)? {
        let entry = match read_entry(&path, &key) {
            Ok(entry) => Ok(entry),
            Err(ReadError::Missing) => continue,
            Err(ReadError::Damaged(reason)) => Err(reason),
        };
        listed.push(Listed { path, entry });
    }
    listed.sort_by(|a, b| match (&a.entry, &b.entry) {
        (Ok(x), Ok(y)) => (&x.credential, x.expires_at).cmp(&(&y.credential, y.expires_at)),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.path.cmp(&b.path),
    });
    Ok(listed)
}

/// Removes the entries of credential `name`, or every file of the cache
/// when `name` is `None`, and returns how many entries were removed.
///
/// Lock files go too. A process that holds one of them keeps its lock on
/// the removed file. So a process that starts at that moment may run one
/// more exchange, but no token is lost or mixed up.
pub fn clear(folder: &Path, name: Option<&str>) -> io::Result<usize> {
    let mut removed = 0;
    for (path, key) in entry_files(folder)? {
        let matches = match (name, read_entry(&path, &key)) {
            (None, _) => true,
            (Some(name), Ok(entry)) => entry.credential == name,
            (Some(_), Err(_)) => false,
        };
        if matches {
            remove_if_present(&path)?;
            remove_if_present(&folder.join(format!("{key}.lock")))?;
            removed += 1;
        }
    }
    if name.is_none() {
        remove_leftovers(folder)?;
    }
    Ok(removed)
}

/// Returns the entry files in `folder` with their cache keys; files of
/// other names are left alone.
fn entry_files(folder: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for dir_entry in entries {
        let name = dir_entry?.file_name().to_string_lossy().into_owned();
        if let Some(key) = name.strip_suffix(".json").filter(|k| key::is_key(k)) {
            files.push((folder.join(&name), key.to_string()));
        }
    }
    Ok(files)
}

/// Removes lock files and temporary files that no entry accounts for,
/// such as those of a process that crashed while writing.
fn remove_leftovers(folder: &Path) -> io::Result<()> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for dir_entry in entries {
        let name = dir_entry?.file_name().to_string_lossy().into_owned();
        let lock = name.strip_suffix(".lock").is_some_and(key::is_key);
        let temporary = name.starts_with('.')
            && name.ends_with(".tmp")
            && name.get(1..65).is_some_and(key::is_key);
        if lock || temporary {
            remove_if_present(&folder.join(&name))?;
        }
    }
    Ok(())
}

/// Removes a file, ignoring one that is already gone.
fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Returns the entry file of `key` in `folder`.
fn entry_path(folder: &Path, key: &str) -> PathBuf {
    folder.join(format!("{key}.json"))
}

/// The reason an entry could not be read.
enum ReadError {
    /// There is no entry file.
    Missing,
    /// The file exists but cannot be read or parsed, for this reason.
    Damaged(String),
}

/// Reads and parses the entry file at `path` for cache key `key`.
fn read_entry(path: &Path, key: &str) -> Result<Entry, ReadError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(ReadError::Missing),
        Err(e) => return Err(ReadError::Damaged(format!("cannot open it: {e}"))),
    };
    let mut bytes = Vec::new();
    file.take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Damaged(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        return Err(ReadError::Damaged(format!("it is larger than {MAX_ENTRY_BYTES} bytes")));
    }
    Entry::from_bytes(&bytes, key).map_err(ReadError::Damaged)
}

/// Creates the cache folder, and its parents, readable only by the user.
/// An existing folder keeps its permissions, but fails [`check_folder`].
fn create_folder(folder: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)?;
    check_folder(folder).map_err(io::Error::other)
}

/// Checks that no other user can write to the cache folder, because one
/// who can could plant entries and have their token sent. A folder that
/// does not exist yet passes, since namedcred creates it with mode 0700.
///
/// NOTE: only the mode is checked, not the owner; a folder of another
/// user that this one cannot write to fails later, when it is locked.
pub fn check_folder(folder: &Path) -> Result<(), String> {
    if folder.exists() && !folder.is_dir() {
        return Err(format!(
            "the cache folder {} is not a folder; set {CACHE_DIR_ENV} to a folder",
            folder.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match fs::metadata(folder) {
            Ok(metadata) => metadata.permissions().mode(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("cannot read {}: {e}", folder.display())),
        };
        if mode & 0o022 != 0 {
            return Err(format!(
                "other users can write to the cache folder {} (mode {:o}); \
                 run chmod 700 on it, or set {CACHE_DIR_ENV} to a private folder",
                folder.display(),
                mode & 0o7777
            ));
        }
    }
    Ok(())
}

/// Opens a file that only the user can read, creating it when needed;
/// with `new`, the file must not exist yet.
fn open_private(path: &Path, new: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    if new {
        options.create_new(true);
    } else {
        options.create(true).truncate(false);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn slot(folder: &Path) -> Slot {
        Slot::new(folder.join("cache"), "a".repeat(64))
    }

    fn entry(token: &str, expires_at: Option<u64>) -> Entry {
        Entry {
            credential: "warehouse".to_string(),
            token_endpoint: "https://auth.example.com/token".to_string(),
            obtained_at: crate::token::now(),
            expires_at,
            access_token: Secret::new(token.to_string()),
            instance_url: None,
        }
    }

    /// Runs `obtain` with a fetch that counts its calls and returns `token`.
    fn obtain(slot: &Slot, reuse: Reuse<'_>, token: &str, calls: &Cell<u32>) -> String {
        let result = slot.obtain(reuse, || {
            calls.set(calls.get() + 1);
            Ok(entry(token, Some(crate::token::now() + 3600)))
        });
        result.unwrap().access_token.expose().clone()
    }

    #[test]
    fn second_obtain_reuses_token() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        let calls = Cell::new(0);
        assert_eq!(obtain(&slot, Reuse::Fresh, "one", &calls), "one");
        assert_eq!(obtain(&slot, Reuse::Fresh, "two", &calls), "one");
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn rejected_token_replaced() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        let calls = Cell::new(0);
        let first = Secret::new(obtain(&slot, Reuse::Fresh, "one", &calls));
        assert_eq!(obtain(&slot, Reuse::Except(&first), "two", &calls), "two");
        assert_eq!(slot.read(false).unwrap().access_token.expose(), "two");
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn token_replaced_elsewhere_reused_after_rejection() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        let calls = Cell::new(0);
        obtain(&slot, Reuse::Fresh, "newer", &calls);
        let rejected = Secret::new("older".to_string());
        assert_eq!(obtain(&slot, Reuse::Except(&rejected), "third", &calls), "newer");
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn failed_fetch_after_rejection_leaves_no_entry() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        let calls = Cell::new(0);
        let first = Secret::new(obtain(&slot, Reuse::Fresh, "one", &calls));
        let result = slot.obtain(Reuse::Except(&first), || Err(Error::exchange("refused")));
        assert!(result.is_err());
        assert!(slot.read(false).is_none());
    }

    #[test]
    fn stale_entry_fetched_again() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        slot.write(&entry("stale", Some(crate::token::now()))).unwrap();
        let calls = Cell::new(0);
        assert_eq!(obtain(&slot, Reuse::Fresh, "new", &calls), "new");
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn damaged_entry_replaced() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        fs::create_dir_all(temp.path().join("cache")).unwrap();
        fs::write(slot.path(), b"{\"format\":1,\"key\":").unwrap();
        let calls = Cell::new(0);
        assert_eq!(obtain(&slot, Reuse::Fresh, "new", &calls), "new");
        assert_eq!(slot.read(false).unwrap().access_token.expose(), "new");
    }

    #[test]
    fn unusable_folder_fetches_without_cache() {
        let temp = tempfile::tempdir().unwrap();
        let blocker = temp.path().join("file");
        fs::write(&blocker, b"not a folder").unwrap();
        let slot = Slot::new(blocker.join("cache"), "b".repeat(64));
        let calls = Cell::new(0);
        assert_eq!(obtain(&slot, Reuse::Fresh, "one", &calls), "one");
        assert_eq!(obtain(&slot, Reuse::Fresh, "two", &calls), "two");
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn write_leaves_no_temporary_file() {
        let temp = tempfile::tempdir().unwrap();
        let slot = slot(temp.path());
        slot.write(&entry("one", None)).unwrap();
        slot.write(&entry("two", None)).unwrap();
        let names: Vec<String> = fs::read_dir(temp.path().join("cache"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![format!("{}.json", "a".repeat(64))]);
    }

    #[cfg(unix)]
    #[test]
    fn folder_and_files_private() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("cache");
        let slot = slot(temp.path());
        let calls = Cell::new(0);
        obtain(&slot, Reuse::Fresh, "one", &calls);
        let mode = |path: &Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        assert_eq!(mode(&slot.path()), 0o600);
        assert_eq!(mode(&folder.join(format!("{}.lock", "a".repeat(64)))), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn folder_writable_by_others_rejected() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("cache");
        for mode in [0o777, 0o1777, 0o770] {
            fs::create_dir_all(&folder).unwrap();
            fs::set_permissions(&folder, fs::Permissions::from_mode(mode)).unwrap();
            let reason = check_folder(&folder).unwrap_err();
            assert!(reason.contains("other users can write"), "{mode:o}: {reason}");

            let calls = Cell::new(0);
            obtain(&slot(temp.path()), Reuse::Fresh, "one", &calls);
            obtain(&slot(temp.path()), Reuse::Fresh, "two", &calls);
            assert_eq!(calls.get(), 2, "{mode:o}");
            assert_eq!(fs::read_dir(&folder).unwrap().count(), 0, "{mode:o}");
            let kept = fs::metadata(&folder).unwrap().permissions().mode() & 0o7777;
            assert_eq!(kept, mode, "an existing folder keeps its mode");
        }
    }

    #[cfg(unix)]
    #[test]
    fn folder_readable_by_others_used() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("cache");
        fs::create_dir(&folder).unwrap();
        fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_folder(&folder).is_ok());
        assert!(check_folder(&temp.path().join("missing")).is_ok());
    }

    #[test]
    fn clear_by_name_keeps_others() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("cache");
        let mine = Slot::new(folder.clone(), "c".repeat(64));
        let theirs = Slot::new(folder.clone(), "d".repeat(64));
        mine.write(&entry("one", None)).unwrap();
        let mut other = entry("two", None);
        other.credential = "billing".to_string();
        theirs.write(&other).unwrap();

        assert_eq!(clear(&folder, Some("warehouse")).unwrap(), 1);
        let left = list(&folder).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].entry.as_ref().unwrap().credential, "billing");
        assert_eq!(clear(&folder, None).unwrap(), 1);
        assert!(list(&folder).unwrap().is_empty());
    }

    #[test]
    fn list_of_missing_folder_empty() {
        let temp = tempfile::tempdir().unwrap();
        assert!(list(&temp.path().join("none")).unwrap().is_empty());
        assert_eq!(clear(&temp.path().join("none"), None).unwrap(), 0);
    }
}
