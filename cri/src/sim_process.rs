//! What a container's process does and prints on the simulated node behind `podsim serve-cri`,
//! read from its command the way busybox's `sh` would run it, for the images podsim did not build
//! (critest's busybox and httpd, whatever crictl or a kubelet runs).
//!
//! The vocabulary is small and stated: `echo [-n] WORDS` (to stdout, or stderr with `>&2`),
//! `sleep SECONDS`, `exit CODE`, `true`, `:`, and `while true; do ...; done`, joined with `;` or
//! `&&` in `sh -c SCRIPT`. Any other program runs until stopped and prints nothing, as the simulator
//! runs images it does not know. podsim's own `workload` commands keep their meaning
//! ([`Workload::parse`]), and a refused one prints the workload binary's error on stderr. An image
//! run without a command runs its default process: `httpd` prints Apache's start-up lines.

use podsim_model::workload::{is_workload_program, Workload};
use podsim_model::Millis;

/// The longest script podsim reads, and the most statements it runs (bounds, not expected figures).
const MAX_SCRIPT_LEN: usize = 64 * 1024;
const MAX_STATEMENTS: usize = 1_000;
/// The shortest period of a loop: a loop that does not sleep still takes a millisecond a round.
const MIN_LOOP_PERIOD: Millis = 1;

/// Which stream a line goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    /// Its name in the CRI log format.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// One line a process writes, `at` milliseconds after it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// When, after the start.
    pub at: Millis,
    /// Where.
    pub stream: Stream,
    /// What (without its newline).
    pub text: String,
}

/// Everything a process writes: the lines of its start, then, if it loops, the lines of one round
/// repeated every `period` from `start`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The lines before the loop, in time order.
    pub prefix: Vec<Line>,
    /// The loop: (when it starts, its period, one round's lines relative to the round's start).
    pub looped: Option<(Millis, Millis, Vec<Line>)>,
}

impl Output {
    /// The `index`-th line the process writes (in time order), with its time after the start.
    pub fn line(&self, index: u64) -> Option<(Millis, &Line)> {
        let prefix = self.prefix.len() as u64;
        if index < prefix {
            let line = &self.prefix[index as usize];
            return Some((line.at, line));
        }
        let (start, period, round) = self.looped.as_ref()?;
        if round.is_empty() {
            return None;
        }
        let n = round.len() as u64;
        let (cycle, i) = ((index - prefix) / n, (index - prefix) % n);
        let line = &round[i as usize];
        Some((start + cycle.saturating_mul(*period) + line.at, line))
    }
}

/// A container's process: what it does, and what it prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    /// How it behaves (its exit, its answer to SIGTERM).
    pub workload: Workload,
    /// What it prints.
    pub output: Output,
}

/// The process of a container of `image` with this command and args.
pub fn process_of(image: &str, command: &[String], args: &[String]) -> Process {
    let words: Vec<&str> = command.iter().chain(args).map(String::as_str).collect();
    match words.split_first() {
        None => default_process(image),
        Some((program, _)) if is_workload_program(program) => workload_process(command, args),
        Some((program, rest)) if is_shell(program) && rest.first() == Some(&"-c") => {
            let script = rest.get(1).copied().unwrap_or_default();
            run_script(script)
        }
        Some(_) => run_statements(&[words.iter().map(|w| w.to_string()).collect()]),
    }
}

/// podsim's workload: what it means; a refused command prints the binary's error.
fn workload_process(command: &[String], args: &[String]) -> Process {
    match Workload::parse(command, args) {
        Ok(workload) => Process { workload, output: Output::default() },
        Err(error) => Process {
            workload: Workload::REFUSED,
            output: Output {
                prefix: vec![Line { at: 0, stream: Stream::Stderr, text: error.to_string() }],
                looped: None,
            },
        },
    }
}

/// What an image runs without a command: httpd prints Apache's start-up lines; others run and
/// print nothing.
fn default_process(image: &str) -> Process {
    let is_httpd = crate::sim_images::repository(image).ends_with("/httpd");
    let prefix = if is_httpd {
        [
            "AH00558: httpd: Could not reliably determine the server's fully qualified domain name, using 127.0.0.1. Set the 'ServerName' directive globally to suppress this message",
            "[mpm_event:notice] [pid 1:tid 1] AH00489: Apache/2.4.39 (Unix) configured -- resuming normal operations",
            "[core:notice] [pid 1:tid 1] AH00094: Command line: 'httpd -D FOREGROUND'",
        ]
        .iter()
        .map(|text| Line { at: 0, stream: Stream::Stderr, text: text.to_string() })
        .collect()
    } else {
        Vec::new()
    };
    Process { workload: Workload::Run, output: Output { prefix, looped: None } }
}

fn is_shell(program: &str) -> bool {
    matches!(program.rsplit('/').next(), Some("sh" | "bash" | "ash"))
}

/// A `sh -c` script: statements separated by `;`, `&&` or newlines; `while true; do ...; done`.
fn run_script(script: &str) -> Process {
    if script.len() > MAX_SCRIPT_LEN {
        return Process { workload: Workload::Run, output: Output::default() };
    }
    let statements = split_statements(&tokenize(script));
    run_statements(&statements)
}

/// The words of a script, with `'...'` and `"..."` quoting; `;`, `&&` and newlines are words of
/// their own.
fn tokenize(script: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = script.chars().peekable();
    let mut in_word = false;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ';' | '\n') => {
                flush(&mut words, &mut word, &mut in_word);
                words.push(";".to_string());
            }
            (None, '&') if chars.peek() == Some(&'&') => {
                chars.next();
                flush(&mut words, &mut word, &mut in_word);
                words.push(";".to_string());
            }
            (None, c) if c.is_whitespace() => flush(&mut words, &mut word, &mut in_word),
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    flush(&mut words, &mut word, &mut in_word);
    words
}

fn flush(words: &mut Vec<String>, word: &mut String, in_word: &mut bool) {
    if *in_word || !word.is_empty() {
        words.push(std::mem::take(word));
    }
    *in_word = false;
}

/// The statements of a script's words (split at `;`, empty ones dropped).
fn split_statements(words: &[String]) -> Vec<Vec<String>> {
    words.split(|w| w == ";").filter(|s| !s.is_empty()).take(MAX_STATEMENTS).map(<[String]>::to_vec).collect()
}

/// Where a run of statements ended.
enum End {
    /// It exited with this code at this time.
    Exit(Millis, i32),
    /// It blocks forever (a program podsim does not know), printing nothing more.
    Forever,
    /// It loops from this time, one round taking this long, printing these lines a round.
    Loop(Millis, Millis, Vec<Line>),
}

fn run_statements(statements: &[Vec<String>]) -> Process {
    let mut lines = Vec::new();
    let end = run_block(statements, 0, &mut lines);
    let (workload, looped) = match end {
        End::Exit(at, code) => (Workload::ExitAfter { after: at, code }, None),
        End::Forever => (Workload::Run, None),
        End::Loop(start, period, round) => (Workload::Run, Some((start, period, round))),
    };
    Process { workload, output: Output { prefix: lines, looped } }
}

/// Runs statements from time `at`, appending what they print to `lines`.
fn run_block(statements: &[Vec<String>], mut at: Millis, lines: &mut Vec<Line>) -> End {
    let mut i = 0;
    let mut last_code = 0;
    while i < statements.len() {
        let words = &statements[i];
        if words.first().map(String::as_str) == Some("while") {
            let (body, _) = loop_body(&statements[i..]);
            let mut round = Vec::new();
            return match run_block(&body, 0, &mut round) {
                End::Exit(period, _) => End::Loop(at, period.max(MIN_LOOP_PERIOD), round),
                End::Forever => {
                    lines.extend(round.into_iter().map(|l| Line { at: at + l.at, ..l }));
                    End::Forever
                }
                nested @ End::Loop(..) => shifted(nested, at, round, lines),
            };
        }
        match words[0].rsplit('/').next().unwrap_or_default() {
            "echo" => lines.push(echo(&words[1..], at)),
            "sleep" => at += sleep_millis(words.get(1)),
            "exit" => return End::Exit(at, exit_code(words.get(1))),
            "true" | ":" => last_code = 0,
            "false" => last_code = 1,
            _ => return End::Forever,
        }
        i += 1;
    }
    End::Exit(at, last_code)
}

/// A loop inside a loop's body: the outer loop never comes round again.
fn shifted(nested: End, at: Millis, round: Vec<Line>, lines: &mut Vec<Line>) -> End {
    let End::Loop(start, period, inner) = nested else { return nested };
    lines.extend(round.into_iter().filter(|l| l.at < start).map(|l| Line { at: at + l.at, ..l }));
    End::Loop(at + start, period, inner)
}

/// The body of `while COND; do BODY; done` (`do` may open the first body statement), and how many
/// statements the loop takes.
fn loop_body(statements: &[Vec<String>]) -> (Vec<Vec<String>>, usize) {
    let mut body = Vec::new();
    for (n, words) in statements.iter().enumerate().skip(1) {
        match words.first().map(String::as_str) {
            Some("done") => return (body, n + 1),
            Some("do") if words.len() > 1 => body.push(words[1..].to_vec()),
            Some("do") => {}
            _ => body.push(words.clone()),
        }
    }
    (body, statements.len())
}

/// `echo [-n] WORDS [>&2]`.
fn echo(words: &[String], at: Millis) -> Line {
    let to_stderr = words.iter().any(|w| w == ">&2" || w == "1>&2");
    let words: Vec<&str> =
        words.iter().map(String::as_str).filter(|w| *w != ">&2" && *w != "1>&2" && *w != "-n").collect();
    let stream = if to_stderr { Stream::Stderr } else { Stream::Stdout };
    Line { at, stream, text: words.join(" ") }
}

/// `sleep SECONDS` (fractions allowed; `infinity` or a bad number: a very long time).
fn sleep_millis(seconds: Option<&String>) -> Millis {
    const FOREVER: Millis = Millis::MAX / 4;
    match seconds.map(|s| s.parse::<f64>()) {
        Some(Ok(s)) if s.is_finite() && s >= 0.0 => ((s * 1_000.0) as Millis).min(FOREVER),
        _ => FOREVER,
    }
}

/// `exit CODE` (modulo 256, as the kernel keeps it; 0 without one).
fn exit_code(code: Option<&String>) -> i32 {
    code.and_then(|c| c.parse::<i64>().ok()).map_or(0, |c| c.rem_euclid(256) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    fn out(at: Millis, text: &str) -> Line {
        Line { at, stream: Stream::Stdout, text: text.into() }
    }

    /// critest's `logDefaultCmd`: prints one line and exits 0 at once.
    #[test]
    fn echo_prints_a_line_and_exits() {
        let p = process_of("busybox", &words(&["echo", "hello World"]), &[]);
        assert_eq!(p.workload, Workload::ExitAfter { after: 0, code: 0 });
        assert_eq!(p.output.prefix, [out(0, "hello World")]);
        assert_eq!(p.output.line(1), None);
    }

    /// critest's `loopLogDefaultCmd`: a line a second, until stopped.
    #[test]
    fn a_while_loop_prints_every_round() {
        let script = "while true; do echo hello World; sleep 1; done";
        let p = process_of("busybox", &words(&["sh", "-c", script]), &[]);
        assert_eq!(p.workload, Workload::Run);
        let times: Vec<Millis> = (0..3).map(|i| p.output.line(i).unwrap().0).collect();
        assert_eq!(times, [0, 1_000, 2_000]);
        assert_eq!(p.output.line(2).unwrap().1.text, "hello World");
    }

    #[test]
    fn statements_run_in_order_with_sleeps_and_an_exit_code() {
        let p = process_of(
            "b",
            &words(&["/bin/sh", "-c", "echo start; sleep 0.5 && echo 'to err' >&2; exit 3"]),
            &[],
        );
        assert_eq!(p.workload, Workload::ExitAfter { after: 500, code: 3 });
        assert_eq!(p.output.prefix[0], out(0, "start"));
        assert_eq!(p.output.prefix[1], Line { at: 500, stream: Stream::Stderr, text: "to err".into() });
    }

    #[test]
    fn unknown_programs_run_until_stopped_and_print_nothing_more() {
        let top = process_of("busybox", &words(&["sh", "-c", "top"]), &[]);
        assert_eq!(top, Process { workload: Workload::Run, output: Output::default() });
        let nginx = process_of("nginx", &words(&["nginx", "-g", "daemon off;"]), &[]);
        assert_eq!(nginx, Process { workload: Workload::Run, output: Output::default() });
        let sleeper = process_of("busybox", &words(&["sleep", "4321"]), &[]);
        assert_eq!(sleeper.workload, Workload::ExitAfter { after: 4_321_000, code: 0 });
    }

    #[test]
    fn workload_commands_keep_their_meaning_and_a_refused_one_says_why_on_stderr() {
        let run = process_of("img", &words(&["workload", "exit-after", "2s", "1"]), &[]);
        assert_eq!(run.workload, Workload::ExitAfter { after: 2_000, code: 1 });
        let refused = process_of("img", &words(&["workload", "dance"]), &[]);
        assert_eq!(refused.workload, Workload::REFUSED);
        assert_eq!(refused.output.prefix[0].stream, Stream::Stderr);
        assert!(refused.output.prefix[0].text.contains("dance"));
    }

    #[test]
    fn httpd_without_a_command_prints_its_command_line() {
        let p = process_of("registry.k8s.io/e2e-test-images/httpd:2.4.39-4", &[], &[]);
        assert_eq!(p.workload, Workload::Run);
        assert!(p.output.prefix.iter().any(|l| l.text.contains("httpd -D FOREGROUND")));
        assert!(process_of("busybox", &[], &[]).output.prefix.is_empty());
    }

    #[test]
    fn a_loop_without_a_sleep_takes_a_millisecond_a_round_and_exit_codes_wrap() {
        let p = process_of("b", &words(&["sh", "-c", "while true; do echo x; done"]), &[]);
        assert_eq!(p.output.looped.as_ref().map(|l| l.1), Some(MIN_LOOP_PERIOD));
        assert_eq!(exit_code(Some(&"256".to_string())), 0);
        assert_eq!(exit_code(Some(&"-1".to_string())), 255);
    }
}
