//! The `atrium` binary, built inside the test package so tests can run real server
//! processes (and kill them).

fn main() -> std::process::ExitCode {
    atrium_server::commands::main()
}
