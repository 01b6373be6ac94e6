fn main() -> std::process::ExitCode {
    atrium_server::commands::main()
}
