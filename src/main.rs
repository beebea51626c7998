fn main() {
    std::process::exit(dockerlua::cli::main());
}
