fn main() {
    std::process::exit(ember::shell::main());
}
