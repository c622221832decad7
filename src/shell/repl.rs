//! The interactive loop: rustyline with completion and history in `~/.ember_history`
//! (saved after every entry), statements that may span lines and end in `;`, dot
//! commands and psql's backslash aliases (`dot`), results previewed to the
//! terminal's size, a progress line on stderr for statements over a second.
//!
//! Ctrl-C while a statement runs cancels it (the prompt comes back once its tasks
//! have stopped); at the prompt it drops the line being typed, and a second Ctrl-C in
//! a row at an empty prompt leaves. Ctrl-D or `.quit` leave too. Errors are printed
//! and the loop goes on.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::{CompletionType, Config, Editor};

use super::complete::{Catalog, ShellHelper};
use super::dot::parse_command;
use super::{Flow, Origin, ScriptEnd, Shell, cancel_running, ends_statement};

const PROMPT: &str = "ember> ";
const CONTINUATION: &str = "   ...> ";

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".ember_history"))
}

/// Runs the REPL until end of input; returns the exit status.
pub(super) fn run_repl(shell: &Shell, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    // Tab completes the common prefix; a second Tab lists the candidates.
    let config = Config::builder()
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor: Editor<ShellHelper, FileHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            let _ = writeln!(stderr, "error: cannot start the line editor: {e}");
            return 1;
        }
    };
    let catalog = Arc::new(Mutex::new(shell.catalog()));
    editor.set_helper(Some(ShellHelper::new(Arc::clone(&catalog))));
    // Ctrl-C while a statement runs reaches the process as a signal (the terminal is
    // not in raw mode then): it cancels the statement, not the shell.
    if let Err(e) = ctrlc::set_handler(cancel_running) {
        let _ = writeln!(stderr, "warning: Ctrl-C will not cancel statements: {e}");
    }
    shell.start_interactive(std::io::stderr().is_terminal());
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on the first run.
        let _ = editor.load_history(path);
    }
    let _ = writeln!(
        stderr,
        "Ember {} — .help for help, Ctrl-C cancels a running statement",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
    let mut interrupted = false;
    loop {
        let prompt = if buffer.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        if let Some((columns, _)) = editor.dimensions() {
            shell.fit_to(Some(columns as usize));
        }
        if let Some(helper) = editor.helper() {
            helper.set_earlier_lines(&buffer);
        }
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                if !buffer.is_empty() {
                    buffer.clear();
                } else if interrupted {
                    break;
                } else {
                    let _ = writeln!(stderr, "(Ctrl-C again or .quit to leave)");
                    interrupted = true;
                }
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                let _ = writeln!(stderr, "error: {e}");
                break;
            }
        };
        interrupted = false;
        if buffer.is_empty() && line.trim().is_empty() {
            continue;
        }
        if buffer.is_empty()
            && let Some(command) = parse_command(&line)
        {
            remember(&mut editor, &history, line.trim());
            let flow = match command {
                Ok(command) => shell.run_command(command, stdout, stderr),
                Err(message) => {
                    let _ = writeln!(stderr, "error: {message}");
                    Flow::Continue
                }
            };
            let _ = stdout.flush();
            refresh(shell, &catalog);
            if flow == Flow::Quit {
                break;
            }
            continue;
        }
        if !buffer.is_empty() {
            buffer.push('\n');
        }
        buffer.push_str(&line);
        if ends_statement(&buffer) {
            remember(&mut editor, &history, &buffer);
            let end = shell.run_output_script(&buffer, &Origin::Repl, stdout, stderr);
            let _ = stdout.flush();
            buffer.clear();
            refresh(shell, &catalog);
            if matches!(end, ScriptEnd::OutputClosed | ScriptEnd::Quit) {
                break;
            }
        }
    }
    0
}

/// Adds an entry to the history and saves it at once, so a killed shell keeps it.
fn remember(editor: &mut Editor<ShellHelper, FileHistory>, path: &Option<PathBuf>, entry: &str) {
    let _ = editor.add_history_entry(entry);
    if let Some(path) = path {
        let _ = editor.append_history(path);
    }
}

/// Gives completion the tables and columns as they are after a statement.
fn refresh(shell: &Shell, catalog: &Arc<Mutex<Catalog>>) {
    let now = shell.catalog();
    *catalog.lock().unwrap_or_else(|e| e.into_inner()) = now;
}
