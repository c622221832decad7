//! The interactive loop: rustyline with history in `~/.ember_history`, statements that
//! may span lines and end in `;`, `\q` / `.quit` / Ctrl-D to leave. Errors are printed
//! and the loop goes on.

use std::io::Write;
use std::path::PathBuf;

use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::{Origin, ScriptEnd, Shell, ends_statement};

const PROMPT: &str = "ember> ";
const CONTINUATION: &str = "   ...> ";

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".ember_history"))
}

/// Runs the REPL until end of input; returns the exit status.
pub(super) fn run_repl(shell: &Shell, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot start the line editor: {e}");
            return 1;
        }
    };
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on the first run.
        let _ = editor.load_history(path);
    }
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && is_quit(&line) {
                    break;
                }
                if buffer.is_empty() && line.trim().is_empty() {
                    continue;
                }
                if !buffer.is_empty() {
                    buffer.push('\n');
                }
                buffer.push_str(&line);
                if ends_statement(&buffer) {
                    let _ = editor.add_history_entry(buffer.as_str());
                    let end = shell.run_script(&buffer, &Origin::Repl, stdout, stderr);
                    let _ = stdout.flush();
                    buffer.clear();
                    if end == ScriptEnd::OutputClosed {
                        break;
                    }
                }
            }
            // Ctrl-C drops the statement being typed.
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        let _ = editor.save_history(path);
    }
    0
}

fn is_quit(line: &str) -> bool {
    matches!(line.trim(), "\\q" | ".quit" | ".exit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quit_commands() {
        assert!(is_quit("  \\q "));
        assert!(is_quit(".quit"));
        assert!(!is_quit("SELECT 1;"));
    }
}
