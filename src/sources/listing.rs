//! The files a table's path names: one file, a folder (searched through its
//! subfolders), or a glob (`data/**/*.parquet`), with the Hive partition values each
//! file's folders give it (`year=2024/month=01/`).
//!
//! In: a path and the extension a folder's files must have. Out: a [`Listing`] — the
//! files in name order, and for each its `name=value` folders below the listing's
//! root (the folder itself, or the glob's fixed leading part). Names starting with `.`
//! or `_` (staging folders, `_SUCCESS` markers) are skipped. A glob that matches
//! nothing, a folder without such files, and files whose folders name different
//! partition columns are errors naming the path.

use std::path::{Path, PathBuf};

use crate::error::{EmberError, Result};
use crate::sources::hive;

/// One file of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedFile {
    /// Its path.
    pub path: PathBuf,
    /// Its `name=value` folders below the root, outermost first (`None`: NULL).
    pub partitions: Vec<(String, Option<String>)>,
}

/// The files of a path, and the partition columns their folders name.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// The files, in name order.
    pub files: Vec<ListedFile>,
    /// The partition column names (every file has each, in this order).
    pub partition_columns: Vec<String>,
}

/// True when `path` holds glob characters.
pub fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Lists the files `path` names; a folder contributes its files ending in `.ext`.
pub fn list(path: &str, ext: &str) -> Result<Listing> {
    let (root, files) = if is_glob(path) {
        glob_files(path)?
    } else {
        let p = Path::new(path);
        let meta = std::fs::metadata(p).map_err(|e| EmberError::io(p, e))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(p, ext, &mut files)?;
            files.sort();
            if files.is_empty() {
                return Err(EmberError::data(
                    path,
                    format!("folder holds no .{ext} files"),
                ));
            }
            (p.to_path_buf(), files)
        } else {
            (PathBuf::new(), vec![p.to_path_buf()])
        }
    };
    with_partitions(path, &root, files)
}

/// The files a glob matches, and its fixed leading folder.
fn glob_files(pattern: &str) -> Result<(PathBuf, Vec<PathBuf>)> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let paths = glob::glob_with(pattern, options)
        .map_err(|e| EmberError::data(pattern, format!("not a valid glob: {e}")))?;
    let root: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
        .collect();
    let mut files = Vec::new();
    for p in paths {
        let p = p.map_err(|e| EmberError::io(e.path().to_path_buf(), e.into()))?;
        let hidden = p
            .strip_prefix(&root)
            .unwrap_or(&p)
            .components()
            .any(|c| is_hidden(&c.as_os_str().to_string_lossy()));
        if p.is_file() && !hidden {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(EmberError::data(pattern, "no files match this path"));
    }
    Ok((root, files))
}

fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// Files ending in `.ext` under `dir`, through its subfolders.
fn walk(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| EmberError::io(dir, e))? {
        let entry = entry.map_err(|e| EmberError::io(dir, e))?;
        let path = entry.path();
        if is_hidden(&entry.file_name().to_string_lossy()) {
            continue;
        }
        if path.is_dir() {
            walk(&path, ext, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads each file's `name=value` folders below `root`; all files must name the same
/// columns in the same order.
fn with_partitions(path: &str, root: &Path, files: Vec<PathBuf>) -> Result<Listing> {
    let mut listed = Vec::with_capacity(files.len());
    let mut columns: Option<(Vec<String>, PathBuf)> = None;
    for file in files {
        let relative = file.strip_prefix(root).unwrap_or(&file);
        let partitions: Vec<(String, Option<String>)> = relative
            .parent()
            .into_iter()
            .flat_map(|d| d.components())
            .filter_map(|c| hive::parse_segment(&c.as_os_str().to_string_lossy()))
            .collect();
        let names: Vec<String> = partitions.iter().map(|(n, _)| n.clone()).collect();
        match &columns {
            None => columns = Some((names, file.clone())),
            Some((first, first_file)) if !first.iter().eq(names.iter()) => {
                return Err(EmberError::data(
                    file.display().to_string(),
                    format!(
                        "its partition folders name ({}) but those of '{}' name ({}); \
                         every file of '{path}' needs the same partition columns",
                        names.join(", "),
                        first_file.display(),
                        first.join(", ")
                    ),
                ));
            }
            Some(_) => {}
        }
        listed.push(ListedFile {
            path: file,
            partitions,
        });
    }
    Ok(Listing {
        files: listed,
        partition_columns: columns.map(|(c, _)| c).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(name: &str, files: &[&str]) -> PathBuf {
        let root =
            std::env::temp_dir().join(format!("ember-listing-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        root
    }

    #[test]
    fn folders_globs_and_partition_folders() {
        let root = tree(
            "ok",
            &[
                "y=2024/m=01/a.parquet",
                "y=2024/m=02/b.parquet",
                "y=2025/m=01/c.parquet",
                "y=2025/m=01/notes.txt",
                "_SUCCESS",
                ".staging/y=1/m=1/x.parquet",
            ],
        );
        let l = list(root.to_str().unwrap(), "parquet").unwrap();
        assert_eq!(l.files.len(), 3);
        assert_eq!(l.partition_columns, vec!["y", "m"]);
        assert_eq!(
            l.files[1].partitions,
            vec![
                ("y".into(), Some("2024".into())),
                ("m".into(), Some("02".into()))
            ]
        );
        let pattern = format!("{}/**/*.parquet", root.display());
        let g = list(&pattern, "parquet").unwrap();
        assert_eq!(g.files, l.files);
        let one = format!("{}/y=2025/*/*.parquet", root.display());
        assert_eq!(list(&one, "parquet").unwrap().files.len(), 1);
        let none = format!("{}/y=2030/**/*.parquet", root.display());
        let e = list(&none, "parquet").unwrap_err().to_string();
        assert!(e.contains("no files match"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn mixed_partition_columns_are_refused() {
        let root = tree("mixed", &["y=1/a.csv", "b.csv"]);
        let e = list(root.to_str().unwrap(), "csv").unwrap_err().to_string();
        assert!(e.contains("same partition columns"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
