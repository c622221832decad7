//! The commit protocol of a write job, after Spark's `HadoopMapReduceCommitProtocol`:
//! nothing appears at the target until every task has succeeded.
//!
//! - Job setup: the save mode is checked against the target, and a staging folder is
//!   made beside it (`.<name>.ember-staging-<job id>`, same file system, hidden from
//!   readers by its leading dot).
//! - Each task attempt writes into its own folder (`attempts/p<partition>-a<attempt>`).
//!   A successful attempt is committed by renaming its folder to `tasks/p<partition>`;
//!   a failed attempt's folder is deleted. A retried task therefore never leaves a
//!   duplicate or a partial file: only one committed folder per partition is read.
//! - Job commit (on the driver, after every task succeeded): the committed files are
//!   gathered into `output/` (a single-file target is concatenated into one file) and
//!   moved into place: a new target is one rename; Overwrite moves the old target
//!   aside, renames the output in, then deletes the old one (if the rename fails the
//!   old target is put back); Append moves each file into the existing folder.
//! - Job abort (any failure): the staging folder is deleted; the target is untouched.
//!
//! In: the target path, the save mode and the tasks' files. Out: the files in place,
//! or the target exactly as it was. Knows nothing of RDDs: [`crate::write::job`] runs
//! the tasks.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{EmberError, Result};
use crate::write::options::SaveMode;

/// Write jobs started by this process (part of each job id).
static JOBS: AtomicU64 = AtomicU64::new(0);

/// One write job's staging area and target.
#[derive(Debug)]
pub struct WriteJob {
    target: PathBuf,
    staging: PathBuf,
    job_id: String,
    mode: SaveMode,
}

/// What a committed job wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitSummary {
    /// Files now at the target (relative to it; empty for a single-file target).
    pub files: Vec<PathBuf>,
}

impl WriteJob {
    /// Sets up a job writing to `target` in `mode`; `None` when the mode is Ignore
    /// and the target exists (nothing is to be written). ErrorIfExists fails here if
    /// the target exists.
    pub fn setup(target: &Path, mode: SaveMode) -> Result<Option<WriteJob>> {
        let exists = target.exists();
        match mode {
            SaveMode::Ignore if exists => return Ok(None),
            SaveMode::ErrorIfExists if exists => {
                return Err(EmberError::execution(format!(
                    "'{}' already exists (to replace it: OVERWRITE true in COPY, mode Overwrite in a writer; to add to it: APPEND true, mode Append)",
                    target.display()
                )));
            }
            _ => {}
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                EmberError::execution(format!(
                    "'{}' is not a file or folder name",
                    target.display()
                ))
            })?;
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| cannot_write(target, e))?;
        let job_id = new_job_id();
        let staging = parent.join(format!(".{name}.ember-staging-{job_id}"));
        fs::create_dir(&staging).map_err(|e| cannot_write(target, e))?;
        Ok(Some(WriteJob {
            target: target.to_path_buf(),
            staging,
            job_id,
            mode,
        }))
    }

    /// The job's id, part of every file name it writes.
    pub fn job_id(&self) -> &str {
        &self.job_id
    }

    /// The target path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The staging folder (removed when the job commits or aborts).
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// The folder one task attempt writes into (created here).
    pub fn setup_task(&self, partition: usize, attempt: usize) -> Result<PathBuf> {
        let dir = self.attempt_dir(partition, attempt);
        if dir.exists() {
            // Left by an attempt with the same number that died before cleaning up.
            remove_all(&dir)?;
        }
        fs::create_dir_all(&dir).map_err(|e| EmberError::io(&dir, e))?;
        Ok(dir)
    }

    fn attempt_dir(&self, partition: usize, attempt: usize) -> PathBuf {
        self.staging
            .join("attempts")
            .join(format!("p{partition:05}-a{attempt}"))
    }

    fn task_dir(&self, partition: usize) -> PathBuf {
        self.staging.join("tasks").join(format!("p{partition:05}"))
    }

    /// Commits a successful attempt: its folder becomes the task's output. A task
    /// already committed keeps its first output (the attempt's files are dropped).
    pub fn commit_task(&self, partition: usize, attempt: usize) -> Result<()> {
        let from = self.attempt_dir(partition, attempt);
        let to = self.task_dir(partition);
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| EmberError::io(parent, e))?;
        }
        if to.exists() {
            return remove_all(&from);
        }
        fs::rename(&from, &to).map_err(|e| EmberError::io(&to, e))
    }

    /// Drops a failed attempt's files (best effort: the job's cleanup catches the rest).
    pub fn abort_task(&self, partition: usize, attempt: usize) {
        let _ = remove_all(&self.attempt_dir(partition, attempt));
    }

    /// The committed files of every task, in partition order, as paths relative to
    /// the task's folder.
    fn committed_files(&self) -> Result<Vec<(PathBuf, PathBuf)>> {
        let tasks = self.staging.join("tasks");
        let mut out = Vec::new();
        if !tasks.exists() {
            return Ok(out);
        }
        let mut dirs: Vec<PathBuf> = fs::read_dir(&tasks)
            .map_err(|e| EmberError::io(&tasks, e))?
            .map(|e| e.map(|e| e.path()).map_err(|e| EmberError::io(&tasks, e)))
            .collect::<Result<_>>()?;
        dirs.sort();
        for dir in dirs {
            let mut files = Vec::new();
            list_files(&dir, &dir, &mut files)?;
            files.sort();
            out.extend(files.into_iter().map(|f| (dir.join(&f), f)));
        }
        Ok(out)
    }

    /// Commits the job into a folder target: every task's files (kept in their
    /// partition folders) move into place.
    pub fn commit_folder(self) -> Result<CommitSummary> {
        let result = self.commit_folder_inner();
        let _ = remove_all(&self.staging);
        result
    }

    fn commit_folder_inner(&self) -> Result<CommitSummary> {
        let output = self.staging.join("output");
        fs::create_dir(&output).map_err(|e| EmberError::io(&output, e))?;
        let mut files = Vec::new();
        for (from, relative) in self.committed_files()? {
            let to = output.join(&relative);
            if let Some(parent) = to.parent() {
                fs::create_dir_all(parent).map_err(|e| EmberError::io(parent, e))?;
            }
            fs::rename(&from, &to).map_err(|e| EmberError::io(&to, e))?;
            files.push(relative);
        }
        match self.mode {
            SaveMode::Append if self.target.exists() => {
                if !self.target.is_dir() {
                    return Err(EmberError::execution(format!(
                        "cannot append to '{}': it is a file, not a folder",
                        self.target.display()
                    )));
                }
                self.append_into_target(&output, &files)?;
            }
            _ => self.replace_target(&output)?,
        }
        Ok(CommitSummary { files })
    }

    /// Commits a single-file target: `finish` builds the file from the committed
    /// files (in partition order) at the path it is given, which then moves into place.
    pub fn commit_file(
        self,
        finish: impl FnOnce(&[PathBuf], &Path) -> Result<()>,
    ) -> Result<CommitSummary> {
        let result = (|| {
            if self.mode == SaveMode::Append && self.target.exists() {
                return Err(EmberError::execution(format!(
                    "cannot append to the file '{}'; append to a folder instead",
                    self.target.display()
                )));
            }
            let parts: Vec<PathBuf> = self
                .committed_files()?
                .into_iter()
                .map(|(path, _)| path)
                .collect();
            let output = self.staging.join("output");
            finish(&parts, &output)?;
            self.replace_target(&output)?;
            Ok(CommitSummary::default())
        })();
        let _ = remove_all(&self.staging);
        result
    }

    /// Deletes everything the job staged; the target stays as it was.
    pub fn abort(self) {
        let _ = remove_all(&self.staging);
    }

    /// Puts `output` at the target: one rename for a new target; for Overwrite the old
    /// target is moved aside first and deleted after (restored if the rename fails).
    fn replace_target(&self, output: &Path) -> Result<()> {
        if !self.target.exists() {
            return fs::rename(output, &self.target).map_err(|e| cannot_write(&self.target, e));
        }
        if self.mode != SaveMode::Overwrite {
            return Err(EmberError::execution(format!(
                "'{}' appeared while the job ran (save mode {:?})",
                self.target.display(),
                self.mode
            )));
        }
        let old = self.staging.join("replaced");
        fs::rename(&self.target, &old).map_err(|e| cannot_write(&self.target, e))?;
        if let Err(e) = fs::rename(output, &self.target) {
            let _ = fs::rename(&old, &self.target);
            return Err(cannot_write(&self.target, e));
        }
        remove_all(&old)
    }

    /// Moves each file of `output` into the existing target folder; on failure the
    /// files moved so far are taken out again.
    fn append_into_target(&self, output: &Path, files: &[PathBuf]) -> Result<()> {
        let mut moved: Vec<PathBuf> = Vec::with_capacity(files.len());
        for relative in files {
            let to = self.target.join(relative);
            let step = (|| {
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent).map_err(|e| EmberError::io(parent, e))?;
                }
                if to.exists() {
                    return Err(EmberError::execution(format!(
                        "'{}' already exists",
                        to.display()
                    )));
                }
                fs::rename(output.join(relative), &to).map_err(|e| EmberError::io(&to, e))
            })();
            if let Err(e) = step {
                for f in &moved {
                    let _ = fs::remove_file(f);
                }
                return Err(e);
            }
            moved.push(to);
        }
        Ok(())
    }
}

/// An id unique to this process and run: time, process and a counter, in hex.
fn new_job_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = JOBS.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}{:x}{n:x}", std::process::id())
}

/// The files under `dir` (recursively), relative to `root`.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| EmberError::io(dir, e))? {
        let path = entry.map_err(|e| EmberError::io(dir, e))?.path();
        if path.is_dir() {
            list_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

fn remove_all(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(EmberError::io(path, e)),
    }
}

/// The error for a target that cannot be written, naming it and the cause.
fn cannot_write(target: &Path, e: std::io::Error) -> EmberError {
    EmberError::execution(format!("cannot write to '{}': {e}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ember-commit-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn write_attempt(job: &WriteJob, p: usize, a: usize, name: &str) {
        let dir = job.setup_task(p, a).unwrap();
        fs::create_dir_all(dir.join("k=1")).unwrap();
        fs::write(dir.join("k=1").join(name), name).unwrap();
    }

    #[test]
    fn only_committed_attempts_reach_the_target() {
        let root = temp("tasks");
        let target = root.join("out");
        let job = WriteJob::setup(&target, SaveMode::ErrorIfExists)
            .unwrap()
            .unwrap();
        write_attempt(&job, 0, 0, "a0");
        job.abort_task(0, 0);
        write_attempt(&job, 0, 1, "a1");
        job.commit_task(0, 1).unwrap();
        write_attempt(&job, 1, 0, "b0");
        job.commit_task(1, 0).unwrap();
        assert!(!target.exists(), "nothing visible before the job commits");
        let summary = job.commit_folder().unwrap();
        assert_eq!(summary.files.len(), 2);
        let mut names: Vec<String> = fs::read_dir(target.join("k=1"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["a1", "b0"]);
        // No staging folder is left beside the target.
        let left: Vec<_> = fs::read_dir(&root).unwrap().collect();
        assert_eq!(left.len(), 1);
        let again = WriteJob::setup(&target, SaveMode::ErrorIfExists).unwrap_err();
        assert!(again.to_string().contains("already exists"), "{again}");
        assert!(
            WriteJob::setup(&target, SaveMode::Ignore)
                .unwrap()
                .is_none()
        );
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn overwrite_replaces_only_at_commit_and_abort_leaves_the_target() {
        let root = temp("overwrite");
        let target = root.join("out");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("old.csv"), "old").unwrap();
        let job = WriteJob::setup(&target, SaveMode::Overwrite)
            .unwrap()
            .unwrap();
        write_attempt(&job, 0, 0, "new.csv");
        job.commit_task(0, 0).unwrap();
        job.abort();
        assert_eq!(fs::read_to_string(target.join("old.csv")).unwrap(), "old");
        assert_eq!(fs::read_dir(&root).unwrap().count(), 1);

        let job = WriteJob::setup(&target, SaveMode::Overwrite)
            .unwrap()
            .unwrap();
        write_attempt(&job, 0, 0, "new.csv");
        job.commit_task(0, 0).unwrap();
        job.commit_folder().unwrap();
        assert!(!target.join("old.csv").exists());
        assert!(target.join("k=1").join("new.csv").exists());

        let job = WriteJob::setup(&target, SaveMode::Append).unwrap().unwrap();
        write_attempt(&job, 0, 0, "more.csv");
        job.commit_task(0, 0).unwrap();
        job.commit_folder().unwrap();
        assert!(target.join("k=1").join("new.csv").exists());
        assert!(target.join("k=1").join("more.csv").exists());
        assert_eq!(fs::read_dir(&root).unwrap().count(), 1);
        fs::remove_dir_all(&root).unwrap();
    }
}
