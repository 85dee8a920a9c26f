//! Writes the churn family of `scenarios/scale/` (see `podsim_sim::churn`).
//!
//! ```sh
//! cargo run -p podsim-sim --example churn_scenarios              # rewrite scenarios/scale/churn-{30,100,300,1000}-pods.yaml
//! cargo run -p podsim-sim --example churn_scenarios -- --check   # exit 1 if a checked-in file differs
//! cargo run -p podsim-sim --example churn_scenarios -- 3000      # print the 3000-pod one
//! ```
//!
//! Exit code 0: done (or the files match); 1: `--check` found a difference; 2: bad arguments.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use podsim_sim::churn::{churn_scenario, file_name, MAX_PODS, SIZES};

const USAGE: &str = "usage: churn_scenarios [--check | PODS]";

/// What to do.
enum Command {
    /// Rewrite every checked-in file.
    Write,
    /// Compare every checked-in file with what the generator makes.
    Check,
    /// Print the scenario of this many pods.
    Print(usize),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("churn_scenarios: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/scale");
    match command {
        Command::Print(pods) => {
            print!("{}", generated(pods));
            ExitCode::SUCCESS
        }
        Command::Write => {
            if let Err(e) = std::fs::create_dir_all(&dir) {
                eprintln!("churn_scenarios: cannot make {}: {e}", dir.display());
                return ExitCode::from(2);
            }
            for pods in SIZES {
                let path = dir.join(file_name(pods));
                if let Err(e) = std::fs::write(&path, generated(pods)) {
                    eprintln!("churn_scenarios: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
                println!("wrote scenarios/scale/{}", file_name(pods));
            }
            ExitCode::SUCCESS
        }
        Command::Check => {
            let stale: Vec<PathBuf> = SIZES
                .iter()
                .map(|&pods| (dir.join(file_name(pods)), generated(pods)))
                .filter(|(path, text)| std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()))
                .map(|(path, _)| path)
                .collect();
            for path in &stale {
                eprintln!("{} differs from what the generator makes", path.display());
            }
            if stale.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}

fn parse(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Write),
        [flag] if flag == "--check" => Ok(Command::Check),
        [n] => match n.parse::<usize>() {
            Ok(pods) if (1..=MAX_PODS).contains(&pods) => Ok(Command::Print(pods)),
            _ => Err(format!("{n:?} is not a number of pods from 1 to {MAX_PODS}")),
        },
        _ => Err("too many arguments".to_string()),
    }
}

/// The scenario of `pods` pods (already checked to be in range).
fn generated(pods: usize) -> String {
    churn_scenario(pods).expect("a number of pods in range")
}
